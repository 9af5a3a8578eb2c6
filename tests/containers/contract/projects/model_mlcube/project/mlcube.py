"""MLCube entry point: `mlcube.py infer --data_path=... --parameters_file=... --weights=... --output_path=...`."""

import argparse
import os

import yaml


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["infer"])
    for name in ("--data_path", "--parameters_file", "--weights", "--output_path"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()
    with open(args.parameters_file) as handle:
        offset = float(yaml.safe_load(handle)["offset"])
    with open(args.weights) as handle:
        weight = float(yaml.safe_load(handle)["weight"])
    for name in sorted(os.listdir(args.data_path)):
        with open(os.path.join(args.data_path, name)) as handle:
            value = float(handle.read())
        with open(os.path.join(args.output_path, name), "w") as handle:
            handle.write(f"{value * weight + offset}\n")


if __name__ == "__main__":
    main()
