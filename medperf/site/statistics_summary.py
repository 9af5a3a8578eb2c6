"""The platform's own statistics of a prepared dataset, merged with the container's statistics.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from medperf.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

PLATFORM_KEYS = ("num_cases", "label_counts", "sanity")


def label_counts(labels: pd.DataFrame) -> dict[str, int]:
    """How many cases carry each label (missing labels counted under 'missing')."""
    if labels.empty or "label" not in labels.columns:
        return {}
    column = labels["label"].astype("string").fillna("missing")
    return {str(key): int(value) for key, value in column.value_counts().sort_index().items()}


def read_container_statistics(path: Path) -> dict[str, Any]:
    """The statistics.yaml a preparation container wrote (a mapping; empty when absent)."""
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        raise ConfigError(f"{path}: is not valid YAML; fix the container's statistics task") from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: must be a mapping of statistic name -> value")
    return {str(key): value for key, value in data.items()}


def summarise(labels: pd.DataFrame, sanity: Mapping[str, int], container_stats: Mapping[str, Any]) -> dict[str, Any]:
    """The statistics payload: container statistics, then the platform's summary on top."""
    summary: dict[str, Any] = dict(container_stats)
    summary["num_cases"] = int(len(labels))
    summary["label_counts"] = label_counts(labels)
    summary["sanity"] = dict(sanity)
    return summary
