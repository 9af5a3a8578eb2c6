"""prepare / sanity_check / statistics with a metadata folder (standard library only: no requirements.txt)."""

import argparse
import json
import os
import sys


def read(path: str) -> str:
    with open(path) as handle:
        return handle.read()


def write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def prepare(args: argparse.Namespace) -> int:
    scale = float(read(args.params).split(":", 1)[1])
    cases = sorted(os.listdir(args.data))
    for name in cases:
        raw = read(os.path.join(args.data, name))
        write(os.path.join(args.out, name), f"{float(raw) * scale}\n")
        write(os.path.join(args.out_labels, name), read(os.path.join(args.labels, name)))
        write(os.path.join(args.metadata, name.replace(".txt", ".json")), json.dumps({"raw_bytes": len(raw)}))
    write(args.report, f"num_cases: {len(cases)}\nstatus: done\n")
    return 0


def sanity_check(args: argparse.Namespace) -> int:
    missing = [name for name in os.listdir(args.data)
               if not os.path.isfile(os.path.join(args.metadata, name.replace(".txt", ".json")))]
    if missing:
        print(f"{len(missing)} cases have no metadata", file=sys.stderr)
        return 3
    return 0


def statistics(args: argparse.Namespace) -> int:
    values = [float(read(os.path.join(args.data, name))) for name in os.listdir(args.data)]
    write(args.out, f"num_cases: {len(values)}\nmean: {sum(values) / len(values)}\n"
                    f"metadata_files: {len(os.listdir(args.metadata))}\n")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["prepare", "sanity_check", "statistics"])
    for name in ("--data", "--labels", "--params", "--out", "--out_labels", "--metadata", "--report"):
        parser.add_argument(name)
    args = parser.parse_args()
    return {"prepare": prepare, "sanity_check": sanity_check, "statistics": statistics}[args.task](args)


if __name__ == "__main__":
    sys.exit(main())
