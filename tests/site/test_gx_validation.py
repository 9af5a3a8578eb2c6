"""The benchmark's GX suite runs on the per-case table; failures carry counts and sample ids (site only)."""

import pandas as pd
import pytest

from medperf.errors import ConfigError
from medperf.site.gx_validation import validate_case_table

TABLE = pd.DataFrame(
    {"case_id": [f"c{i}" for i in range(8)], "size": [1, 2, 3, 500, 5, 6, 700, 8], "label": [0, 1] * 4}
)


def expectation(kind: str, **kwargs: object) -> dict[str, object]:
    return {"type": kind, "kwargs": kwargs}


def test_failures_name_expectation_count_and_sample_ids() -> None:
    suite = {
        "name": "s",
        "expectations": [
            expectation("expect_column_values_to_be_between", column="size", min_value=0, max_value=100),
            expectation("expect_column_values_to_be_in_set", column="label", value_set=[0, 1]),
            expectation("expect_column_to_exist", column="stage"),
        ],
    }
    outcome = validate_case_table(TABLE, suite)
    assert outcome.evaluated == 3
    assert [item.label for item in outcome.failures] == [
        "expect_column_values_to_be_between(size)",
        "expect_column_to_exist(stage)",
    ]
    assert outcome.failures[0].unexpected_count == 2
    assert outcome.failures[0].sample_case_ids == ["c3", "c6"]
    assert outcome.counts() == {"expectations_evaluated": 3, "expectations_failed": 2}


def test_passing_suite_and_no_suite() -> None:
    suite = {"name": "ok", "expectations": [expectation("expect_column_values_to_not_be_null", column="case_id")]}
    assert validate_case_table(TABLE, suite).success
    assert validate_case_table(TABLE, None).counts() == {"expectations_evaluated": 0, "expectations_failed": 0}


def test_malformed_suite_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"expectations\[0\] needs a 'type'"):
        validate_case_table(TABLE, {"expectations": [{"kwargs": {}}]})
