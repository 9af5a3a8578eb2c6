"""Label each case (<case>.txt holding a number): 1 when number * scale (additional files) >= threshold (parameters)."""

import argparse
import os

import yaml


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("--data_path", "--parameters_file", "--additional_files", "--output_path"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()
    with open(args.parameters_file) as handle:
        threshold = float(yaml.safe_load(handle)["threshold"])
    with open(os.path.join(args.additional_files, "weights.yaml")) as handle:
        scale = float(yaml.safe_load(handle)["scale"])
    for name in sorted(os.listdir(args.data_path)):
        with open(os.path.join(args.data_path, name)) as handle:
            value = float(handle.read())
        with open(os.path.join(args.output_path, name), "w") as handle:
            handle.write(f"{int(value * scale >= threshold)}\n")


if __name__ == "__main__":
    main()
