"""Task declarations (benchmark.yaml's `task:` block) that tests register, edit and compare against."""

from typing import Any

REGRESSION_TASK: dict[str, Any] = {
    "kind": "regression",
    "primary_metric": "mae",
    "label_kind": "continuous",
    "metrics": [
        {"name": "mae", "direction": "lower", "range": [0, None], "ci": ["mae_ci_low", "mae_ci_high"]},
        {"name": "r2", "direction": "higher", "range": [None, 1]},
    ],
}
