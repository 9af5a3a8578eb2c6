"""Diabetes data preparator: `python3 prep.py <prepare|sanity_check|statistics> --flags` (MedPerf tasks).

Raw data: data_path/cases.csv (case_id + the ten baseline features) and labels_path/labels.csv
(case_id,target). Prepared: the same two files, checked, rows sorted by case id, numbers written exactly,
cases.csv with one more column, age_band (under-45, 45-59, 60-plus): the benchmark's subgroup column.
"""

import argparse
import csv
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml

FEATURES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")
AGE_BAND = "age_band"  # written by prepare: the benchmark's subgroup column (task.subgroups)
AGE_BANDS = ((45.0, "under-45"), (60.0, "45-59"), (math.inf, "60-plus"))


def age_band(age: float) -> str:
    """The age band of a case: under-45, 45-59 or 60-plus (years at baseline)."""
    return next(name for upper, name in AGE_BANDS if age < upper)


class PrepError(Exception):
    """A data problem; str() is the one line shown to the user."""


def _rows(path: Path, name: str, header: list[str], text: tuple[str, ...] = ()) -> dict[str, list[float]]:
    """case id -> the numbers of one CSV whose header must be exactly `header` plus the `text` columns.

    Text columns (last) are checked by the caller through `bands`; they are not returned as numbers.
    """
    header = [*header, *text]
    if not path.is_file():
        raise PrepError(f"{name}: file not found")
    rows: dict[str, list[float]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        if next(reader, []) != header:
            raise PrepError(f"{name}: row 1: header must be {','.join(header)}")
        for number, row in enumerate(reader, start=2):
            if len(row) != len(header):
                raise PrepError(f"{name}: row {number}: expected {len(header)} cells, got {len(row)}")
            if row[0] in rows:
                raise PrepError(f"{name}: row {number}, column 'case_id': duplicate case id")
            values = []
            for column, cell in zip(header[1:len(header) - len(text)], row[1:len(row) - len(text)], strict=True):
                try:
                    value = float(cell)
                except ValueError:
                    raise PrepError(f"{name}: row {number}, column {column!r}: {cell!r} is not a number") from None
                if not math.isfinite(value):
                    raise PrepError(f"{name}: row {number}, column {column!r}: {cell!r} is not finite")
                values.append(value)
            if text:
                band = row[len(header) - len(text)]
                if band != age_band(values[0]):
                    raise PrepError(f"{name}: row {number}, column {AGE_BAND!r}: {band!r} is not the band of "
                                    f"age {_text(values[0])}; prepare the raw data again")
            rows[row[0]] = values
    return rows


def _text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def read_dataset(
    data: Path, labels: Path, data_name: str, labels_name: str, prepared: bool = True
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Case ids (sorted), features and targets; every case needs exactly one label.

    Prepared data carries the age_band column after the features; raw data does not.
    """
    text = (AGE_BAND,) if prepared else ()
    cases = _rows(data / "cases.csv", f"{data_name}/cases.csv", ["case_id", *FEATURES], text)
    targets = _rows(labels / "labels.csv", f"{labels_name}/labels.csv", ["case_id", "target"])
    if set(cases) != set(targets):
        raise PrepError(f"{labels_name}/labels.csv: {len(set(cases) - set(targets))} cases have no label and "
                        f"{len(set(targets) - set(cases))} labels have no case")
    ids = sorted(cases)
    x = np.asarray([cases[i] for i in ids], dtype=float).reshape(len(ids), len(FEATURES))
    y = np.asarray([targets[i][0] for i in ids], dtype=float)
    return ids, x, y


def prepare(data: Path, labels: Path, out_data: Path, out_labels: Path, report: Path | None) -> int:
    """Check every cell, then write the prepared cases.csv and labels.csv."""
    ids, x, y = read_dataset(data, labels, "data_path", "labels_path", prepared=False)
    if np.any(~np.isin(x[:, FEATURES.index("sex")], (1.0, 2.0))):
        raise PrepError("data_path/cases.csv: column 'sex': values must be 1 or 2")
    out_data.mkdir(parents=True, exist_ok=True)
    out_labels.mkdir(parents=True, exist_ok=True)
    with (out_data / "cases.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["case_id", *FEATURES, AGE_BAND])
        writer.writerows([i, *(_text(float(v)) for v in row), age_band(float(row[0]))]
                         for i, row in zip(ids, x, strict=True))
    with (out_labels / "labels.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["case_id", "target"])
        writer.writerows([i, _text(float(v))] for i, v in zip(ids, y, strict=True))
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(yaml.safe_dump({"format": "csv", "num_cases": len(ids)}), encoding="utf-8")
    return len(ids)


def sanity_check(data: Path, labels: Path, parameters: dict[str, Any]) -> int:
    """Exact headers, finite numbers, labels one to one, target >= 0, at least min_cases cases."""
    ids, _, y = read_dataset(data, labels, "data_path", "labels_path")
    minimum = int(parameters.get("min_cases", 20))
    if len(ids) < minimum:
        raise PrepError(f"data_path/cases.csv: {len(ids)} cases, fewer than min_cases={minimum}")
    if np.any(y < 0):
        raise PrepError("labels_path/labels.csv: column 'target': negative values")
    return len(ids)


def statistics(data: Path, labels: Path, output: Path, parameters: dict[str, Any]) -> None:
    """num_cases and each feature's mean and std (ddof 1); everything null below min_cell_count cases."""
    ids, x, _ = read_dataset(data, labels, "data_path", "labels_path")
    k = int(parameters.get("min_cell_count", 5))
    small = len(ids) < k
    features = {
        name: {"mean": None if small else float(x[:, i].mean()),
               "std": None if small or len(ids) < 2 else float(x[:, i].std(ddof=1))}
        for i, name in enumerate(FEATURES)
    }
    stats = {"num_cases": None if small else len(ids), "features": features, "min_cell_count": k,
             "suppressed": ["num_cases", "features"] if small else []}
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(yaml.safe_dump(stats, sort_keys=False), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run one task; a data problem prints one line on stderr and exits 1."""
    parser = argparse.ArgumentParser(description=__doc__)
    tasks = parser.add_subparsers(dest="task", required=True)
    prep = tasks.add_parser("prepare")
    for flag in ("data_path", "labels_path", "output_path", "output_labels_path"):
        prep.add_argument(f"--{flag}", type=Path, required=True)
    prep.add_argument("--additional_files", type=Path)
    prep.add_argument("--report_file", type=Path)
    prep.add_argument("--metadata_path", type=Path, help="accepted for MedPerf compatibility; unused")
    for name in ("sanity_check", "statistics"):
        task = tasks.add_parser(name)
        task.add_argument("--data_path", type=Path, required=True)
        task.add_argument("--labels_path", type=Path, required=True)
        if name == "statistics":
            task.add_argument("--output_path", type=Path, required=True)
    for task in tasks.choices.values():
        task.add_argument("--parameters_file", type=Path)
    args = parser.parse_args(argv)
    try:
        parameters: dict[str, Any] = {}
        if args.parameters_file is not None:
            parameters = yaml.safe_load(args.parameters_file.read_text(encoding="utf-8")) or {}
        if args.task == "prepare":
            n = prepare(args.data_path, args.labels_path, args.output_path, args.output_labels_path, args.report_file)
            print(f"prepared {n} cases")
        elif args.task == "sanity_check":
            print(f"sanity check passed: {sanity_check(args.data_path, args.labels_path, parameters)} cases")
        else:
            statistics(args.data_path, args.labels_path, args.output_path, parameters)
            print(f"statistics written to {args.output_path}")
    except PrepError as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"ERROR: cannot read or write an input/output file: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
