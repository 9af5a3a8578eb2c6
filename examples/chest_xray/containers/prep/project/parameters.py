"""The preparator's parameters (workspace/parameters.yaml, mounted as parameters_file), read and checked."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from prep_errors import PrepError


@dataclass(frozen=True)
class LabelColumns:
    """Which labels-CSV columns and codes the sites may use (matched case-insensitively)."""

    image_columns: tuple[str, ...]
    label_columns: tuple[str, ...]
    positive_codes: tuple[str, ...]
    negative_codes: tuple[str, ...]


@dataclass(frozen=True)
class PrepParameters:
    """Everything parameters.yaml configures."""

    image_size: int
    percentiles: tuple[float, float]
    labels: LabelColumns
    min_cases: int
    min_cell_count: int


def _names(raw: Any, key: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise PrepError(f"parameters_file: {key}: must be a non-empty list of names")
    return tuple(str(item).strip().lower() for item in raw)


def _positive_int(raw: dict[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise PrepError(f"parameters_file: {key}: must be a positive whole number, not {value!r}")
    return value


def load_parameters(path: Path) -> PrepParameters:
    """Read parameters.yaml; a missing or malformed key fails with one line naming it."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError:
        raise PrepError(f"parameters_file: {path} cannot be read; mount the container's parameters.yaml") from None
    except yaml.YAMLError:
        raise PrepError(f"parameters_file: {path} is not valid YAML") from None
    if not isinstance(raw, dict):
        raise PrepError("parameters_file: must be a mapping of parameter names to values")
    low, high = raw.get("intensity_percentiles", [1.0, 99.0])
    if not 0.0 <= float(low) < float(high) <= 100.0:
        raise PrepError("parameters_file: intensity_percentiles: must be [low, high] with 0 <= low < high <= 100")
    labels = raw.get("labels")
    if not isinstance(labels, dict):
        raise PrepError("parameters_file: labels: must be a mapping (image_columns, label_columns, codes)")
    return PrepParameters(
        image_size=_positive_int(raw, "image_size", 64),
        percentiles=(float(low), float(high)),
        labels=LabelColumns(
            image_columns=_names(labels.get("image_columns"), "labels.image_columns"),
            label_columns=_names(labels.get("label_columns"), "labels.label_columns"),
            positive_codes=_names(labels.get("positive_codes"), "labels.positive_codes"),
            negative_codes=_names(labels.get("negative_codes"), "labels.negative_codes"),
        ),
        min_cases=_positive_int(raw, "min_cases", 20),
        min_cell_count=_positive_int(raw, "min_cell_count", 5),
    )
