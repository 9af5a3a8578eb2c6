"""Task statistics: aggregates only (counts, per-feature mean and std); small cells are suppressed."""

from pathlib import Path
from typing import Any

import numpy as np
import yaml
from canonical_features import FEATURES
from prep_errors import SanityCheckError
from prepared_table import read_prepared_cases, read_prepared_labels

LABEL_NAMES = {0: "benign", 1: "malignant"}


def compute_statistics(values: list[tuple[float, ...]], labels: list[int], min_cell_count: int) -> dict[str, Any]:
    """Statistics of one dataset; a count below min_cell_count becomes null and is listed in `suppressed`."""
    n = len(values)
    suppressed: list[str] = []
    counts: dict[str, int | None] = {}
    for code, name in LABEL_NAMES.items():
        count = sum(1 for label in labels if label == code)
        counts[name] = count if count >= min_cell_count else None
        if counts[name] is None:
            suppressed.append(f"label_counts.{name}")
    features: dict[str, dict[str, float | None]] | None = None
    if n >= min_cell_count and n > 0:
        matrix = np.asarray(values, dtype=float).reshape(n, len(FEATURES))
        means = matrix.mean(axis=0)
        stds = matrix.std(axis=0, ddof=1) if n > 1 else np.full(len(FEATURES), np.nan)
        features = {
            f: {"mean": float(m), "std": float(s) if np.isfinite(s) else None}
            for f, m, s in zip(FEATURES, means, stds, strict=True)
        }
    else:
        suppressed += ["num_cases", "features"]
    return {
        "num_cases": n if n >= min_cell_count else None,
        "label_counts": counts,
        "features": features,
        "min_cell_count": min_cell_count,
        "suppressed": suppressed,
    }


def run_statistics(data_path: Path, labels_path: Path, output_path: Path, parameters: dict[str, Any]) -> None:
    """Write statistics.yaml for the prepared dataset."""
    ids, values = read_prepared_cases(data_path)
    by_id = read_prepared_labels(labels_path)
    if set(ids) != set(by_id):
        raise SanityCheckError("labels_path/labels.csv: labels do not match the cases; re-run prepare")
    labels = [by_id[case_id] for case_id in ids]
    stats = compute_statistics(values, labels, int(parameters.get("min_cell_count", 5)))
    output_path.parent.mkdir(parents=True, exist_ok=True)
    output_path.write_text(yaml.safe_dump(stats, sort_keys=False), encoding="utf-8")
