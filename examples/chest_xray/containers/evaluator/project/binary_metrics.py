"""Binary classification metrics in pure numpy: AUC, accuracy, sensitivity, specificity.

A metric that is undefined for the given cases is None: AUC and its CI when only one class is
present, sensitivity without nodule cases, specificity without normal cases.
"""

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Metric = Callable[[IntArray, FloatArray, float], float | None]


def average_ranks(values: FloatArray) -> FloatArray:
    """1-based ranks; tied values share the mean of their ranks."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    first_rank = np.cumsum(counts) - counts + 1
    mean_rank = first_rank + (counts - 1) / 2.0
    ranks: FloatArray = mean_rank[np.reshape(inverse, -1)]
    return ranks


def auc(labels: IntArray, scores: FloatArray, threshold: float = 0.5) -> float | None:
    """Area under the ROC curve (Mann-Whitney U / (n_pos * n_neg), ties count 1/2); None if a class is absent."""
    n_pos = int(np.sum(labels == 1))
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = average_ranks(scores)
    u_statistic = float(np.sum(ranks[labels == 1])) - n_pos * (n_pos + 1) / 2.0
    return u_statistic / (n_pos * n_neg)


def accuracy(labels: IntArray, scores: FloatArray, threshold: float = 0.5) -> float | None:
    """Share of cases whose prediction (score >= threshold means nodule) equals the label."""
    if len(labels) == 0:
        return None
    return float(np.mean((scores >= threshold).astype(np.int64) == labels))


def sensitivity(labels: IntArray, scores: FloatArray, threshold: float = 0.5) -> float | None:
    """Recall of nodule cases; None without nodule cases."""
    positives = labels == 1
    if not positives.any():
        return None
    return float(np.mean(scores[positives] >= threshold))


def specificity(labels: IntArray, scores: FloatArray, threshold: float = 0.5) -> float | None:
    """Recall of normal cases; None without normal cases."""
    negatives = labels == 0
    if not negatives.any():
        return None
    return float(np.mean(scores[negatives] < threshold))


METRICS: dict[str, Metric] = {
    "auc": auc,
    "accuracy": accuracy,
    "sensitivity": sensitivity,
    "specificity": specificity,
}
