"""Logistic-regression model container: `python3 infer_logreg.py infer --data_path ...` (pure numpy)."""

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


def read_cases(data_path: Path, feature_names: list[str]) -> tuple[list[str], np.ndarray]:
    """Case ids and the feature matrix from the prepared cases.csv, columns in the model's order."""
    path = data_path / "cases.csv"
    if not path.is_file():
        raise InferenceError("data_path/cases.csv: file not found; prepare the dataset first")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        missing = [f for f in ["case_id", *feature_names] if f not in header]
        if missing:
            raise InferenceError(f"data_path/cases.csv: row 1, column {missing[0]!r}: column is missing")
        columns = [header.index(f) for f in feature_names]
        ids: list[str] = []
        rows: list[list[float]] = []
        for row_number, row in enumerate(reader, start=2):
            try:
                rows.append([float(row[i]) for i in columns])
            except (ValueError, IndexError):
                raise InferenceError(f"data_path/cases.csv: row {row_number}: a feature is not a number") from None
            ids.append(row[header.index("case_id")])
    return ids, np.asarray(rows, dtype=float).reshape(len(rows), len(feature_names))


def write_predictions(output_path: Path, ids: list[str], probabilities: np.ndarray) -> None:
    """predictions.csv = case_id,probability (of malignancy), floats written exactly (repr)."""
    output_path.mkdir(parents=True, exist_ok=True)
    with (output_path / "predictions.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["case_id", "probability"])
        writer.writerows([case_id, repr(float(p))] for case_id, p in zip(ids, probabilities, strict=True))


def load_weights(additional_files: Path, parameters: dict[str, Any], kind: str) -> dict[str, Any]:
    """The weights JSON from the additional files; it must be of this container's model kind."""
    path = additional_files / str(parameters.get("weights_file", "weights.json"))
    if not path.is_file():
        raise InferenceError(f"additional_files/{path.name}: weights not found; mount the additional files")
    weights: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if weights.get("kind") != kind:
        raise InferenceError(f"additional_files/{path.name}: kind is {weights.get('kind')!r}, expected {kind!r}")
    return weights


def standardize(x: np.ndarray, weights: dict[str, Any]) -> np.ndarray:
    """StandardScaler.transform: (x - mean) / scale, in the same order of operations as scikit-learn."""
    return (x - np.asarray(weights["scaler_mean"], dtype=float)) / np.asarray(weights["scaler_scale"], dtype=float)


KIND = "logistic_regression"


def predict_proba(x: np.ndarray, weights: dict[str, Any]) -> np.ndarray:
    """P(malignant) = sigmoid(standardized x . coef + intercept), as LogisticRegression.predict_proba."""
    z = standardize(x, weights) @ np.asarray(weights["coef"], dtype=float) + float(weights["intercept"])
    return 1.0 / (1.0 + np.exp(-z))


def main(argv: list[str] | None = None) -> int:
    """Run the infer task; a problem prints one line on stderr and exits 1."""
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
        weights = load_weights(args.additional_files, parameters, KIND)
        ids, x = read_cases(args.data_path, list(weights["feature_names"]))
        write_predictions(args.output_path, ids, predict_proba(x, weights))
    except (InferenceError, OSError, json.JSONDecodeError, KeyError) as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    print(f"predicted {len(ids)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
