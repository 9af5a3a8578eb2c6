"""The release-policy check run on every outgoing payload before it is shown for approval."""

import math
from collections.abc import Iterator, Mapping
from typing import Any

from medperf.errors import PolicyViolation
from medperf.schemas import ReleasePolicy
from medperf.site.payloads import DatasetPayload, ResultPayload

COUNT_KEYS = ("num_cases",)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool | int | float)


def _count_cells(statistics: Mapping[str, Any]) -> Iterator[tuple[str, int]]:
    """Counts of people in a statistics payload: num_cases and every value under a *_counts key."""
    for key in COUNT_KEYS:
        value = statistics.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            yield key, value
    for key, value in statistics.items():
        if key.endswith("_counts") and isinstance(value, Mapping):
            for cell, count in value.items():
                if isinstance(count, int) and not isinstance(count, bool):
                    yield f"{key}.{cell}", count


def _key_paths(value: Any, path: str = "") -> Iterator[str]:
    """Every dotted key path of a nested mapping ("features", "features.radius_mean", ...)."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            inner_path = f"{path}.{key}" if path else str(key)
            yield inner_path
            yield from _key_paths(inner, inner_path)


def _nested_lists(value: Any, path: str, names: frozenset[str]) -> Iterator[str]:
    """Lists that could hold per-case values; a list of the payload's own key paths (e.g. the names of
    suppressed cells) is structure, not data, and is allowed."""
    if isinstance(value, list | tuple):
        if not all(isinstance(item, str) and item in names for item in value):
            yield path
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _nested_lists(inner, f"{path}.{key}" if path else str(key), names)


def check_dataset_payload(payload: DatasetPayload, policy: ReleasePolicy) -> None:
    """Raise PolicyViolation when the statistics would release a key, a small cell or per-case values."""
    stats = payload.statistics
    extra = sorted(set(stats) - set(policy.allowed_statistics_keys))
    if extra:
        raise PolicyViolation(
            f"release policy: statistics keys {extra} may not leave the site "
            f"(allowed: {sorted(policy.allowed_statistics_keys)}); ask the benchmark owner to allow them"
        )
    for cell, count in _count_cells(stats):
        if 0 < count < policy.min_cell_count:
            raise PolicyViolation(
                f"release policy: statistics cell '{cell}' counts {count} < k={policy.min_cell_count}; "
                "nothing was uploaded"
            )
    if not policy.allow_per_case:
        lists = list(_nested_lists(stats, "", frozenset(_key_paths(stats))))
        if lists:
            raise PolicyViolation(
                f"release policy: statistics field '{lists[0]}' is a list (possible per-case values), "
                "which this benchmark does not allow to leave"
            )


def check_result_payload(payload: ResultPayload, policy: ReleasePolicy, num_cases: int) -> None:
    """Raise PolicyViolation for a metric not allowed, a non-scalar metric or too few cases."""
    if 0 < num_cases < policy.min_cell_count:
        raise PolicyViolation(
            f"release policy: the metrics come from {num_cases} cases < k={policy.min_cell_count}; nothing was uploaded"
        )
    if policy.allowed_metric_keys is not None:
        extra = sorted(set(payload.metrics) - set(policy.allowed_metric_keys))
        if extra:
            raise PolicyViolation(
                f"release policy: metrics {extra} may not leave the site "
                f"(allowed: {sorted(policy.allowed_metric_keys)})"
            )
    if not policy.allow_per_case:
        for name, value in payload.metrics.items():
            if not _is_scalar(value):
                raise PolicyViolation(
                    f"release policy: metric '{name}' is not a single value (possible per-case values); "
                    "only scalar metrics may leave"
                )
            if isinstance(value, float) and not math.isfinite(value):
                raise PolicyViolation(f"release policy: metric '{name}' is {value}; fix the evaluator")
