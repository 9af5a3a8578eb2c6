"""Label summaries by declared label kind, each released cell 0 or at least k: class counts, k-safe bins, volumes.

- categorical: one count per class; a class below k is suppressed (null), and so is the next smallest class
  when only one would be (the total would give it away);
- continuous: mean, std and equal-frequency bins that each hold at least k cases. Bins never split tied
  values; an edge is the midpoint between two neighbouring cases' values, so no edge is a case's value,
  and the outermost bins are open (no minimum or maximum is released). Never a key per value;
- mask: per structure, the k-safe summary of its volume (medperf/site/mask_volumes.py).

Nothing here is per case; the inputs (the per-case table, the labels folder) never leave the site.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

MAX_BINS = 10


def suppress_small(counts: dict[str, int], k: int) -> dict[str, int | None]:
    """Cells below k become null; when exactly one cell would be null, the smallest other non-zero cell is too."""
    small = {key for key, count in counts.items() if 0 < count < k}
    if len(small) == 1:
        others = sorted((count, key) for key, count in counts.items() if count > 0 and key not in small)
        if others:
            small.add(others[0][1])
    return {key: (None if key in small else count) for key, count in counts.items()}


def finite_values(values: Iterable[Any]) -> tuple[list[float], int]:
    """The finite numbers among values, and how many were missing (null, NaN, not a number)."""
    numbers: list[float] = []
    missing = 0
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
            missing += 1
        else:
            numbers.append(float(value))
    return numbers, missing


def equal_frequency_groups(ordered: np.ndarray, k: int, max_bins: int) -> list[tuple[int, int]]:
    """[start, stop) index ranges of sorted values: about equal-frequency, each >= k, ties never split."""
    import numpy as np

    n = len(ordered)
    bins = min(max_bins, n // k)
    target = max(k, math.ceil(n / bins))
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])  # first index of each distinct value
    stops = np.r_[starts[1:], n]
    groups: list[tuple[int, int]] = []
    begin = 0
    for stop in stops.tolist():
        rest = n - stop
        if stop - begin >= target and (rest == 0 or rest >= k):
            groups.append((begin, stop))
            begin = stop
    if begin < n:  # the tail holds fewer than target: it joins the last bin unless it holds k on its own
        if groups and n - begin < k:
            groups[-1] = (groups[-1][0], n)
        else:
            groups.append((begin, n))
    return groups


def binned_summary(values: Sequence[float], k: int, max_bins: int = MAX_BINS) -> dict[str, Any] | None:
    """mean, std and k-safe bins (counts, inner edges, means) of n >= k finite values; None when n < k."""
    import numpy as np

    if len(values) < max(k, 1):
        return None
    ordered = np.sort(np.asarray(values, dtype=float))
    groups = equal_frequency_groups(ordered, k, max_bins)
    names = [f"bin_{index + 1}" for index in range(len(groups))]
    return {
        "mean": float(ordered.mean()),
        "std": float(ordered.std(ddof=1)) if len(ordered) > 1 else 0.0,
        "bin_counts": {name: stop - start for name, (start, stop) in zip(names, groups, strict=True)},
        "bin_edges": {
            f"edge_{index + 1}": float((ordered[stop - 1] + ordered[stop]) / 2)
            for index, (_, stop) in enumerate(groups[:-1])
        },
        "bin_means": {
            name: float(ordered[start:stop].mean()) for name, (start, stop) in zip(names, groups, strict=True)
        },
    }


def with_bins(numbers: Sequence[float], cells: dict[str, int | None], count_cell: str, k: int) -> dict[str, Any]:
    """case_counts, then the binned summary of the numbers; their bin counts are null when their cell is."""
    summary: dict[str, Any] = {"case_counts": cells}
    binned = binned_summary(numbers, k)
    if binned is not None:
        if cells[count_cell] is None:
            binned["bin_counts"] = dict.fromkeys(binned["bin_counts"])
        summary |= binned
    return summary


def continuous_summary(values: Iterable[Any], k: int) -> dict[str, Any]:
    """case_counts (with a value / missing), then the binned summary of the finite values.

    When the missing cell is suppressed the bin counts are too (their sum and num_cases would give it away).
    """
    numbers, missing = finite_values(values)
    return with_bins(numbers, suppress_small({"with_value": len(numbers), "missing": missing}, k), "with_value", k)


def categorical_counts(table: pd.DataFrame, column: str, k: int | None) -> dict[str, int | None] | None:
    """Class counts of a categorical label column (see statistics_summary.label_counts), small cells null.

    None when most classes hold fewer than k cases: such a column is a per-value list (a whole-number target),
    and even a null cell would publish that its value occurs.
    """
    from medperf.site.statistics_summary import label_counts

    counts = label_counts(table, column)
    if counts is None or k is None:
        return dict(counts) if counts is not None else None
    if 2 * sum(0 < count < k for count in counts.values()) > len(counts):
        return None
    return suppress_small(counts, k)
