"""The benchmark's Great Expectations suite (GX 1.x JSON), with feature ranges derived from all WDBC cases."""

import math
from typing import Any

import numpy as np

SUITE_NAME = "breast_cancer_sanity"
MIN_CASES = 20


def floor_2sig(value: float) -> float:
    """Round down to two significant digits (0 stays 0)."""
    if value <= 0:
        return 0.0
    step = 10.0 ** (math.floor(math.log10(value)) - 1)
    return float(f"{math.floor(value / step) * step:.2g}")


def ceil_2sig(value: float) -> float:
    """Round up to two significant digits."""
    step = 10.0 ** (math.floor(math.log10(value)) - 1)
    return float(f"{math.ceil(value / step - 1e-9) * step:.2g}")


def feature_ranges(x: np.ndarray, features: list[str]) -> dict[str, tuple[float, float]]:
    """[min/2, 2*max] of each feature over all 569 cases, rounded outwards to 2 significant digits."""
    return {
        f: (floor_2sig(float(x[:, i].min()) / 2.0), ceil_2sig(float(x[:, i].max()) * 2.0))
        for i, f in enumerate(features)
    }


def _expectation(kind: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs, "meta": {}}


def build_suite(x: np.ndarray, features: list[str]) -> dict[str, Any]:
    """Expectations over the per-case table (case_id, 30 features, label) of one prepared dataset."""
    columns = ["case_id", *features, "label"]
    expectations = [
        _expectation("expect_table_columns_to_match_set", column_set=columns, exact_match=True),
        _expectation("expect_table_row_count_to_be_between", min_value=MIN_CASES, max_value=None),
        _expectation("expect_column_values_to_be_unique", column="case_id"),
    ]
    expectations += [_expectation("expect_column_values_to_not_be_null", column=c) for c in columns]
    expectations += [
        _expectation("expect_column_values_to_be_between", column=f, min_value=low, max_value=high)
        for f, (low, high) in feature_ranges(x, features).items()
    ]
    expectations.append(_expectation("expect_column_values_to_be_in_set", column="label", value_set=[0, 1]))
    return {
        "name": SUITE_NAME,
        "expectations": expectations,
        "meta": {
            "generated_by": "examples/breast_cancer/build.py",
            "ranges": "each feature in [min/2, 2*max] over all 569 WDBC cases, rounded outwards to 2 "
            "significant digits; lengths in um, areas in um2 (canonical units)",
        },
        "notes": "Validated on the per-case table: prepared cases.csv joined with labels.csv on case_id.",
    }
