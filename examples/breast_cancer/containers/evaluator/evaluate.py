"""Entry point of the evaluator: `python3 evaluate.py evaluate --predictions DIR --labels DIR ...`."""

import argparse
import csv
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from binary_metrics import METRICS
from bootstrap import bootstrap_ci


class EvaluationError(Exception):
    """Predictions or labels cannot be evaluated; str() is the one line shown to the user."""


def _read_two_columns(path: Path, name: str, header: list[str]) -> dict[str, str]:
    if not path.is_file():
        raise EvaluationError(f"{name}: file not found")
    rows: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        if next(reader, []) != header:
            raise EvaluationError(f"{name}: row 1: header must be {','.join(header)}")
        for row_number, row in enumerate(reader, start=2):
            if len(row) != 2:
                raise EvaluationError(f"{name}: row {row_number}: expected 2 cells, got {len(row)}")
            if row[0] in rows:
                raise EvaluationError(f"{name}: row {row_number}, column {header[0]!r}: duplicate case id")
            rows[row[0]] = row[1]
    return rows


def read_inputs(predictions: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
    """Labels (0/1) and probabilities aligned by case id; every labelled case needs exactly one prediction."""
    probs = _read_two_columns(
        predictions / "predictions.csv", "predictions/predictions.csv", ["case_id", "probability"]
    )
    labs = _read_two_columns(labels / "labels.csv", "labels/labels.csv", ["case_id", "label"])
    if set(probs) != set(labs):
        raise EvaluationError(
            f"predictions/predictions.csv: {len(set(labs) - set(probs))} labelled cases have no prediction and "
            f"{len(set(probs) - set(labs))} predictions have no label"
        )
    ids = sorted(labs)
    y = np.empty(len(ids), dtype=np.int64)
    p = np.empty(len(ids), dtype=float)
    for i, case_id in enumerate(ids):
        if labs[case_id] not in ("0", "1"):
            raise EvaluationError(f"labels/labels.csv: column 'label': {labs[case_id]!r} is not 0 or 1")
        try:
            p[i] = float(probs[case_id])
        except ValueError:
            p[i] = math.nan
        if not 0.0 <= p[i] <= 1.0:
            raise EvaluationError(
                f"predictions/predictions.csv: column 'probability': {probs[case_id]!r} is not in [0, 1]"
            )
        y[i] = int(labs[case_id])
    return y, p


def compute_results(y: np.ndarray, p: np.ndarray, parameters: dict[str, Any]) -> dict[str, Any]:
    """Every metric with its bootstrap CI, plus num_cases; undefined values are None."""
    threshold = float(parameters.get("threshold", 0.5))
    resamples = int(parameters.get("bootstrap_resamples", 1000))
    seed = int(parameters.get("bootstrap_seed", 20260101))
    level = float(parameters.get("ci_level", 0.95))
    results: dict[str, Any] = {}
    for name, metric in METRICS.items():
        results[name] = metric(y, p, threshold)
        low, high = bootstrap_ci(metric, y, p, threshold, resamples, seed, level)
        results[f"{name}_ci_low"], results[f"{name}_ci_high"] = low, high
    results["num_cases"] = len(y)
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the evaluate task; bad inputs print one line on stderr and exit 1."""
    parser = argparse.ArgumentParser(description=__doc__)
    tasks = parser.add_subparsers(dest="task", required=True)
    evaluate = tasks.add_parser("evaluate")
    evaluate.add_argument("--predictions", type=Path, required=True)
    evaluate.add_argument("--labels", type=Path, required=True)
    evaluate.add_argument("--parameters_file", type=Path)
    evaluate.add_argument("--output_path", type=Path, required=True, help="the results.yaml file")
    args = parser.parse_args(argv)
    try:
        parameters: dict[str, Any] = {}
        if args.parameters_file is not None:
            parameters = yaml.safe_load(args.parameters_file.read_text(encoding="utf-8")) or {}
        y, p = read_inputs(args.predictions, args.labels)
        results = compute_results(y, p, parameters)
    except (EvaluationError, OSError) as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    args.output_path.parent.mkdir(parents=True, exist_ok=True)
    args.output_path.write_text(yaml.safe_dump(results, sort_keys=False), encoding="utf-8")
    print(f"evaluated {len(y)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
