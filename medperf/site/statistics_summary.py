"""The platform's own statistics of a prepared dataset, merged with the container's statistics.yaml."""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Integral, Real
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from medperf.errors import ConfigError
from medperf.release_policy import DRIFT_KEY, LABEL_SUMMARY_KEY
from medperf.safe_yaml import load_yaml_file
from medperf.schemas.task import LabelKind, TaskDeclaration

if TYPE_CHECKING:
    import pandas as pd

PLATFORM_KEYS = ("num_cases", "label_counts", "sanity", LABEL_SUMMARY_KEY, DRIFT_KEY)
DEFAULT_LABEL_COLUMN = "label"
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


def declared_label_column(table: pd.DataFrame, found: str | None, task: TaskDeclaration) -> str | None:
    """The label column the task declares; its default 'label' falls back to the column the table found.

    A column the benchmark names explicitly but the table lacks is a ConfigError naming the field.
    """
    declared = task.label_column
    if declared is None or declared in table.columns:
        return declared
    if declared == DEFAULT_LABEL_COLUMN:
        return found
    raise ConfigError(
        f"benchmark task.label_column: '{declared}' is not a column of the per-case table "
        f"(columns: {len(table.columns)}); fix benchmark.yaml or the preparation"
    )


def label_statistics(
    table: pd.DataFrame,
    label_column: str | None,
    task: TaskDeclaration | None,
    k: int | None,
    labels_dir: Path | None = None,
) -> dict[str, Any]:
    """The platform's label keys for the declared label kind (label_counts or label_summary), k-safe.

    Without a declaration: label_counts for a categorical scalar label (small cells null when k is given).
    """
    from medperf.site import label_statistics as by_kind

    if task is None:
        counts = by_kind.categorical_counts(table, label_column, k) if label_column else None
        return {"label_counts": counts} if counts is not None else {}
    column = declared_label_column(table, label_column, task)
    kind, cells = task.label_kind, k or 1
    if kind == LabelKind.CATEGORICAL:
        counts = by_kind.categorical_counts(table, column, k) if column else None
        return {"label_counts": counts} if counts is not None else {}
    if kind == LabelKind.CONTINUOUS:
        values = table[column].tolist() if column is not None and column in table.columns else []
        return {LABEL_SUMMARY_KEY: by_kind.continuous_summary(values, cells)} if values else {}
    if kind == LabelKind.MASK and labels_dir is not None:
        from medperf.site.mask_volumes import case_volumes, mask_summary

        masks = case_volumes(labels_dir)
        return {LABEL_SUMMARY_KEY: mask_summary(masks.volumes, cells, masks.unit)}
    return {}


def summarise(
    table: pd.DataFrame,
    sanity: Mapping[str, int],
    container_stats: Mapping[str, Any],
    label_column: str | None = None,
    *,
    task: TaskDeclaration | None = None,
    k: int | None = None,
    labels_dir: Path | None = None,
) -> dict[str, Any]:
    """The statistics payload: container statistics, then the platform's summary of the per-case table on top.

    num_cases counts the table's rows; the label keys follow the task's label kind (label_statistics); with
    reference statistics in the task, `drift` scores this table against them. Every platform cell is 0 or
    at least k when k is given.
    """
    summary: dict[str, Any] = dict(container_stats)
    summary["num_cases"] = int(len(table))
    summary |= label_statistics(table, label_column, task, k, labels_dir)
    if task is not None and task.reference_statistics:
        from medperf.site.drift import drift_summary

        summary[DRIFT_KEY] = drift_summary(table, task.reference_statistics, k or 1)
    summary["sanity"] = dict(sanity)
    return summary
