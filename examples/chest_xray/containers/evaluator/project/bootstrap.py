"""Percentile bootstrap confidence intervals over cases (seeded, resampling with replacement)."""

import numpy as np
from binary_metrics import FloatArray, IntArray, Metric


def bootstrap_ci(
    metric: Metric,
    labels: IntArray,
    scores: FloatArray,
    threshold: float,
    resamples: int,
    seed: int,
    level: float,
) -> tuple[float | None, float | None]:
    """(low, high) percentiles of the metric over resamples where it is defined; (None, None) if none is."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    if n == 0:
        return None, None
    values: list[float] = []
    for _ in range(resamples):
        index = rng.integers(0, n, size=n)
        value = metric(labels[index], scores[index], threshold)
        if value is not None:
            values.append(value)
    if not values:
        return None, None
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(np.asarray(values), [tail, 100.0 - tail])
    return float(low), float(high)
