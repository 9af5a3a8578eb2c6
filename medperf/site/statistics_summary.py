"""The platform's own statistics of a prepared dataset, merged with the container's statistics.yaml."""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Integral, Real
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from medperf.errors import ConfigError
from medperf.safe_yaml import load_yaml_file

if TYPE_CHECKING:
    import pandas as pd

PLATFORM_KEYS = ("num_cases", "label_counts", "sanity")
MAX_CATEGORIES = 20


def _category(value: Any) -> str | None:
    """The key a categorical label value is counted under; None for a value that is not a category."""
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        number = float(value)
        if math.isfinite(number) and number.is_integer():
            return str(int(number))  # 0.0 / 1.0: whole-number labels of a column with gaps
    return None


def _is_missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # an array value is not missing
        return False


def label_counts(table: pd.DataFrame, label_column: str | None) -> dict[str, int] | None:
    """How many cases carry each label (missing labels under 'missing'), for a categorical scalar label only.

    None when there is no such column, when a value is not a category (a continuous float, an array) or when
    there are more than MAX_CATEGORIES distinct labels: a per-value key is never made for continuous labels.
    """
    if label_column is None or label_column not in table.columns:
        return None
    counts: dict[str, int] = {}
    missing = 0
    for value in table[label_column].tolist():
        if _is_missing(value):
            missing += 1
            continue
        key = _category(value)
        if key is None:
            return None
        counts[key] = counts.get(key, 0) + 1
        if len(counts) > MAX_CATEGORIES:
            return None
    if not counts:
        return None
    if missing:
        counts["missing"] = counts.get("missing", 0) + missing
    return dict(sorted(counts.items()))


def read_container_statistics(path: Path) -> dict[str, Any]:
    """The statistics.yaml a preparation container wrote (a mapping; empty when absent)."""
    if not path.is_file():
        return {}
    try:
        data = load_yaml_file(path, "statistics file", follow_symlinks=False)
    except yaml.YAMLError:
        raise ConfigError(f"{path}: is not valid YAML; fix the container's statistics task") from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: must be a mapping of statistic name -> value")
    return {str(key): value for key, value in data.items()}


def summarise(
    table: pd.DataFrame,
    sanity: Mapping[str, int],
    container_stats: Mapping[str, Any],
    label_column: str | None = None,
) -> dict[str, Any]:
    """The statistics payload: container statistics, then the platform's summary of the per-case table on top.

    num_cases counts the table's rows; label_counts is added only for a categorical scalar label column.
    """
    summary: dict[str, Any] = dict(container_stats)
    summary["num_cases"] = int(len(table))
    counts = label_counts(table, label_column)
    if counts is not None:
        summary["label_counts"] = counts
    summary["sanity"] = dict(sanity)
    return summary
