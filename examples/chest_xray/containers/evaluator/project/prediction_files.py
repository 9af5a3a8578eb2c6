"""The two prediction layouts of this benchmark and the prepared labels, read into aligned arrays.

predictions/predictions.yaml            case_id -> probability            (model-radial)
predictions/<case_id>.json              {"nodule_probability": p, ...}    (model-template)
labels/labels.yaml                      case_id -> 0 / 1                  (the preparator)
"""

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

PREDICTIONS_FILE = "predictions.yaml"
PROBABILITY_KEY = "nodule_probability"


class EvaluationError(Exception):
    """Predictions or labels cannot be evaluated; str() is the one line shown to the user."""


def _yaml_mapping(path: Path, name: str) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError:
        raise EvaluationError(f"{name}: not found") from None
    except yaml.YAMLError:
        raise EvaluationError(f"{name}: is not valid YAML") from None
    if not isinstance(raw, dict):
        raise EvaluationError(f"{name}: must map case ids to values")
    return {str(key): value for key, value in raw.items()}


def _json_probability(path: Path) -> Any:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise EvaluationError(f"predictions/{path.name}: is not valid JSON") from None
    if not isinstance(record, dict) or PROBABILITY_KEY not in record:
        raise EvaluationError(f"predictions/{path.name}: has no {PROBABILITY_KEY!r}")
    return record[PROBABILITY_KEY]


def read_predictions(folder: Path) -> dict[str, float]:
    """case id -> probability in [0, 1], from whichever layout the folder holds (not both)."""
    per_case = sorted(folder.glob("*.json"))
    combined = folder / PREDICTIONS_FILE
    if combined.is_file() and per_case:
        raise EvaluationError(f"predictions: holds both {PREDICTIONS_FILE} and per-case .json files; keep one layout")
    if combined.is_file():
        raw = _yaml_mapping(combined, f"predictions/{PREDICTIONS_FILE}")
        where = {case: f"predictions/{PREDICTIONS_FILE}: case {case!r}" for case in raw}
    elif per_case:
        raw = {path.stem: _json_probability(path) for path in per_case}
        where = {path.stem: f"predictions/{path.name}" for path in per_case}
    else:
        raise EvaluationError(f"predictions: no {PREDICTIONS_FILE} and no <case_id>.json files")
    probabilities: dict[str, float] = {}
    for case, value in raw.items():
        number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
        if not 0.0 <= number <= 1.0:
            raise EvaluationError(f"{where[case]}: probability {value!r} is not a number in [0, 1]")
        probabilities[case] = number
    return probabilities


def read_labels(folder: Path) -> dict[str, int]:
    """case id -> 0/1 from labels.yaml."""
    labels: dict[str, int] = {}
    for case, value in _yaml_mapping(folder / "labels.yaml", "labels/labels.yaml").items():
        if value not in (0, 1) or isinstance(value, bool):
            raise EvaluationError(f"labels/labels.yaml: case {case!r}: label {value!r} is not 0 or 1")
        labels[case] = int(value)
    return labels


def aligned(
    predictions: dict[str, float], labels: dict[str, int]
) -> tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """(case ids, labels, probabilities) sorted by case id; every labelled case needs exactly one prediction."""
    if set(predictions) != set(labels):
        missing, extra = set(labels) - set(predictions), set(predictions) - set(labels)
        raise EvaluationError(
            f"predictions: {len(missing)} labelled cases have no prediction and {len(extra)} predictions have no label"
        )
    cases = sorted(labels)
    y = np.asarray([labels[case] for case in cases], dtype=np.int64)
    p = np.asarray([predictions[case] for case in cases], dtype=np.float64)
    return cases, y, p
