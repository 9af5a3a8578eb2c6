"""Diabetes evaluator: `python3 evaluate.py evaluate --predictions DIR --labels DIR ...` -> results.yaml.

mae, rmse and r2 of the predictions against the targets, each with a seeded percentile bootstrap CI over
cases, and num_cases. Nothing per case is written.
"""

import argparse
import csv
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

Metric = Callable[[np.ndarray, np.ndarray], float | None]


class EvaluationError(Exception):
    """Predictions or labels cannot be evaluated; str() is the one line shown to the user."""


def mae(y: np.ndarray, p: np.ndarray) -> float | None:
    """Mean absolute error."""
    return float(np.mean(np.abs(y - p))) if len(y) else None


def rmse(y: np.ndarray, p: np.ndarray) -> float | None:
    """Root of the mean squared error."""
    return float(math.sqrt(np.mean((y - p) ** 2))) if len(y) else None


def r2(y: np.ndarray, p: np.ndarray) -> float | None:
    """1 - SS_res / SS_tot; undefined (None) when the targets do not vary."""
    total = float(np.sum((y - np.mean(y)) ** 2)) if len(y) else 0.0
    if total == 0.0:
        return None
    return 1.0 - float(np.sum((y - p) ** 2)) / total


METRICS: dict[str, Metric] = {"mae": mae, "rmse": rmse, "r2": r2}


def _column(path: Path, name: str, header: list[str]) -> dict[str, float]:
    if not path.is_file():
        raise EvaluationError(f"{name}: file not found")
    values: dict[str, float] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        if next(reader, []) != header:
            raise EvaluationError(f"{name}: row 1: header must be {','.join(header)}")
        for number, row in enumerate(reader, start=2):
            if len(row) != 2:
                raise EvaluationError(f"{name}: row {number}: expected 2 cells, got {len(row)}")
            if row[0] in values:
                raise EvaluationError(f"{name}: row {number}, column {header[0]!r}: duplicate case id")
            try:
                value = float(row[1])
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise EvaluationError(f"{name}: row {number}, column {header[1]!r}: {row[1]!r} is not a finite number")
            values[row[0]] = value
    return values


def read_inputs(predictions: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
    """Targets and predictions aligned by case id; every labelled case needs exactly one prediction."""
    pred = _column(predictions / "predictions.csv", "predictions/predictions.csv", ["case_id", "prediction"])
    true = _column(labels / "labels.csv", "labels/labels.csv", ["case_id", "target"])
    if set(pred) != set(true):
        raise EvaluationError(f"predictions/predictions.csv: {len(set(true) - set(pred))} labelled cases have no "
                              f"prediction and {len(set(pred) - set(true))} predictions have no label")
    ids = sorted(true)
    return np.asarray([true[i] for i in ids]), np.asarray([pred[i] for i in ids])


def bootstrap_ci(metric: Metric, y: np.ndarray, p: np.ndarray, resamples: int, seed: int,
                 level: float) -> tuple[float | None, float | None]:
    """(low, high) percentiles of the metric over resamples where it is defined; (None, None) if none is."""
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples if len(y) else 0):
        index = rng.integers(0, len(y), size=len(y))
        value = metric(y[index], p[index])
        if value is not None:
            values.append(value)
    if not values:
        return None, None
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(np.asarray(values), [tail, 100.0 - tail])
    return float(low), float(high)


def compute_results(y: np.ndarray, p: np.ndarray, parameters: dict[str, Any]) -> dict[str, Any]:
    """Every metric with its bootstrap CI, plus num_cases; undefined values are None."""
    resamples = int(parameters.get("bootstrap_resamples", 1000))
    seed = int(parameters.get("bootstrap_seed", 20260102))
    level = float(parameters.get("ci_level", 0.95))
    results: dict[str, Any] = {}
    for name, metric in METRICS.items():
        results[name] = metric(y, p)
        results[f"{name}_ci_low"], results[f"{name}_ci_high"] = bootstrap_ci(metric, y, p, resamples, seed, level)
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
