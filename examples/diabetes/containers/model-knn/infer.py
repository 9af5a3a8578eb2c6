"""Diabetes model container: `python3 infer.py infer --data_path ...`; ridge or kNN by the weights' kind (numpy).

Writes output_path/predictions.csv = case_id,prediction (the predicted disease progression).
"""

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml


class InferenceError(Exception):
    """The prepared data or the weights cannot be used; str() is the one line shown to the user."""


def read_cases(data_path: Path, features: list[str]) -> tuple[list[str], np.ndarray]:
    """Case ids and the feature matrix of the prepared cases.csv, columns in the model's order."""
    path = data_path / "cases.csv"
    if not path.is_file():
        raise InferenceError("data_path/cases.csv: file not found; prepare the dataset first")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        missing = [name for name in ["case_id", *features] if name not in header]
        if missing:
            raise InferenceError(f"data_path/cases.csv: row 1, column {missing[0]!r}: column is missing")
        columns = [header.index(name) for name in features]
        ids, rows = [], []
        for number, row in enumerate(reader, start=2):
            try:
                rows.append([float(row[i]) for i in columns])
            except (ValueError, IndexError):
                raise InferenceError(f"data_path/cases.csv: row {number}: a feature is not a number") from None
            ids.append(row[header.index("case_id")])
    return ids, np.asarray(rows, dtype=float).reshape(len(rows), len(features))


def predict(weights: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """StandardScaler, then Ridge (x @ coef + intercept) or kNN (mean target of the k nearest, Euclidean)."""
    z = (x - np.asarray(weights["mean"])) / np.asarray(weights["scale"])
    if weights["kind"] == "ridge":
        return np.asarray(z @ np.asarray(weights["coef"]) + float(weights["intercept"]))
    if weights["kind"] == "knn":
        train_x, train_y = np.asarray(weights["train_x"]), np.asarray(weights["train_y"])
        k = int(weights["n_neighbors"])
        distances = np.sqrt(((z[:, None, :] - train_x[None, :, :]) ** 2).sum(axis=2))
        nearest = np.argsort(distances, axis=1, kind="stable")[:, :k]
        return np.asarray(train_y[nearest].mean(axis=1))
    raise InferenceError(f"additional_files/weights.json: kind {weights['kind']!r} is not ridge or knn")


def main(argv: list[str] | None = None) -> int:
    """Run the infer task; bad inputs print one line on stderr and exit 1."""
    parser = argparse.ArgumentParser(description=__doc__)
    tasks = parser.add_subparsers(dest="task", required=True)
    infer = tasks.add_parser("infer")
    for flag in ("data_path", "additional_files", "output_path"):
        infer.add_argument(f"--{flag}", type=Path, required=True)
    infer.add_argument("--parameters_file", type=Path)
    args = parser.parse_args(argv)
    try:
        parameters: dict[str, Any] = {}
        if args.parameters_file is not None:
            parameters = yaml.safe_load(args.parameters_file.read_text(encoding="utf-8")) or {}
        path = args.additional_files / str(parameters.get("weights_file", "weights.json"))
        if not path.is_file():
            raise InferenceError(f"additional_files/{path.name}: weights not found; mount the additional files")
        weights = json.loads(path.read_text(encoding="utf-8"))
        ids, x = read_cases(args.data_path, list(weights["features"]))
        predictions = predict(weights, x)
    except (InferenceError, OSError) as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    args.output_path.mkdir(parents=True, exist_ok=True)
    with (args.output_path / "predictions.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["case_id", "prediction"])
        writer.writerows([case_id, repr(float(p))] for case_id, p in zip(ids, predictions, strict=True))
    print(f"predicted {len(ids)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
