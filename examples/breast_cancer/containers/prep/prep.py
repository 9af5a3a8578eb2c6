"""Entry point of the preparation container: `python3 prep.py <prepare|sanity_check|statistics> --flags`."""

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml
from prep_errors import PrepError
from prepare_task import run_prepare
from sanity_task import run_sanity_check
from statistics_task import run_statistics


def load_parameters(path: Path | None) -> dict[str, Any]:
    """parameters.yaml as a dict (empty when not given)."""
    if path is None:
        return {}
    if not path.is_file():
        raise PrepError(f"parameters_file {path}: not found")
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(loaded, dict):
        raise PrepError(f"parameters_file {path}: must be a mapping")
    return loaded


def build_parser() -> argparse.ArgumentParser:
    """One sub-command per MedPerf task; flags are the task's logical volume names."""
    parser = argparse.ArgumentParser(description=__doc__)
    tasks = parser.add_subparsers(dest="task", required=True)
    prepare = tasks.add_parser("prepare")
    for flag in ("data_path", "labels_path", "additional_files", "output_path", "output_labels_path"):
        prepare.add_argument(f"--{flag}", type=Path, required=True)
    prepare.add_argument("--report_file", type=Path)
    prepare.add_argument("--metadata_path", type=Path, help="accepted for MedPerf compatibility; unused")
    for name in ("sanity_check", "statistics"):
        task = tasks.add_parser(name)
        task.add_argument("--data_path", type=Path, required=True)
        task.add_argument("--labels_path", type=Path, required=True)
        if name == "statistics":
            task.add_argument("--output_path", type=Path, required=True, help="the statistics.yaml file")
    for task in tasks.choices.values():
        task.add_argument("--parameters_file", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one task; a data problem prints one line on stderr and exits 1."""
    args = build_parser().parse_args(argv)
    try:
        parameters = load_parameters(args.parameters_file)
        if args.task == "prepare":
            n = run_prepare(
                args.data_path,
                args.labels_path,
                args.additional_files,
                args.output_path,
                args.output_labels_path,
                args.report_file,
                parameters,
            )
            print(f"prepared {n} cases")
        elif args.task == "sanity_check":
            n = run_sanity_check(args.data_path, args.labels_path, parameters)
            print(f"sanity check passed: {n} cases")
        else:
            run_statistics(args.data_path, args.labels_path, args.output_path, parameters)
            print(f"statistics written to {args.output_path}")
    except PrepError as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    except (OSError, UnicodeDecodeError) as err:
        print(f"ERROR: cannot read or write an input/output file: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
