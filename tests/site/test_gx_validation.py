"""The benchmark's GX suite runs on the per-case table or manifest; failures carry counts, sample ids stay on site."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from medperf.errors import ConfigError
from medperf.site.gx_validation import validate_case_table
from medperf.site.manifest import build_manifest

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


def test_sample_ids_come_from_the_tables_own_id_column() -> None:
    table = pd.DataFrame({"patient": ["p1", "p2", "p3"], "size": [1, 900, 2]})
    suite = {"expectations": [expectation("expect_column_values_to_be_between", column="size", max_value=100)]}
    assert validate_case_table(table, suite, id_column="patient").failures[0].sample_case_ids == ["p2"]
    assert validate_case_table(table, suite, id_column=None).failures[0].sample_case_ids == []


MANIFEST_SUITE = {
    "name": "imaging",
    "target": "manifest",
    "expectations": [
        expectation("expect_column_values_to_be_unique", column="case_id"),
        expectation("expect_column_values_to_be_in_set", column="readable", value_set=[True]),
        expectation("expect_column_values_to_be_in_set", column="dtype", value_set=["uint8"]),
        expectation("expect_column_values_to_be_in_set", column="shape_0", value_set=[32]),
        expectation("expect_column_values_to_be_in_set", column="shape_1", value_set=[32]),
        expectation("expect_column_min_to_be_between", column="intensity_min", min_value=0),
        expectation("expect_column_values_to_be_between", column="intensity_max", min_value=1, max_value=255),
        expectation("expect_column_values_to_not_be_null", column="label"),
        expectation("expect_column_values_to_be_in_set", column="label", value_set=[0, 1]),
    ],
}


def write_images(root: Path, n: int) -> tuple[Path, Path]:
    data, labels = root / "data", root / "labels"
    data.mkdir()
    labels.mkdir()
    for index in range(n):
        pixels = np.full((32, 32), 10 + index, dtype=np.uint8)
        Image.fromarray(pixels).save(data / f"img-{index:03d}.png")
        (labels / f"img-{index:03d}.txt").write_text(str(index % 2))
    return data, labels


def test_a_manifest_suite_passes_on_good_images(tmp_path: Path) -> None:
    data, labels = write_images(tmp_path, 6)
    manifest = build_manifest(data, labels)
    outcome = validate_case_table(manifest.table, MANIFEST_SUITE)
    assert outcome.success, outcome.site_report()
    assert outcome.counts() == {"expectations_evaluated": 9, "expectations_failed": 0}


def test_a_manifest_suite_fails_on_shape_dtype_intensity_and_a_missing_label_with_counts_only(tmp_path: Path) -> None:
    data, labels = write_images(tmp_path, 6)
    Image.fromarray(np.zeros((16, 32), dtype=np.uint8)).save(data / "img-001.png")  # wrong shape, all black
    Image.fromarray(np.full((32, 32), 9, dtype=np.uint16)).save(data / "img-002.png")  # 16-bit
    (labels / "img-004.txt").unlink()
    outcome = validate_case_table(build_manifest(data, labels).table, MANIFEST_SUITE)
    failed = {item.label: item.unexpected_count for item in outcome.failures}
    assert failed == {
        "expect_column_values_to_be_in_set(dtype)": 1,
        "expect_column_values_to_be_in_set(shape_0)": 1,
        "expect_column_values_to_be_between(intensity_max)": 1,
        "expect_column_values_to_not_be_null(label)": 1,
    }
    assert outcome.counts() == {"expectations_evaluated": 9, "expectations_failed": 4}
    assert "img-004" not in json.dumps(outcome.counts())
    samples = {item.label: item.sample_case_ids for item in outcome.failures}
    assert samples["expect_column_values_to_not_be_null(label)"] == ["img-004"]  # site-only report
