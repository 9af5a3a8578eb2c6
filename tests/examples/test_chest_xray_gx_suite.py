"""The benchmark's GX 1.x suite (target: manifest) passes on every prepared site and catches bad preparations."""

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml
from chest_xray_harness import EXAMPLE, SITES, PreparedSite, manifest_of, prepare_mounts, prepared_example, run_direct
from support.gx_suite import failed_expectations as validate_directly

from medperf.site.case_table import build_case_table, table_choice
from medperf.site.gx_validation import validate_case_table

SUITE = json.loads((EXAMPLE / "benchmark" / "sanity_suite.json").read_text())


def failed_expectations(table: pd.DataFrame) -> set[tuple[str, str | None]]:
    """(expectation type, column) of every failed expectation of the example's suite."""
    return validate_directly(table, SUITE)


def test_suite_targets_the_manifest_with_one_expectation_per_property() -> None:
    assert SUITE["target"] == "manifest" and SUITE["label_column"] == "label"
    checked = {(e["type"], e["kwargs"].get("column")) for e in SUITE["expectations"]}
    assert ("expect_column_values_to_not_be_null", "label") in checked
    assert ("expect_column_values_to_be_in_set", "label") in checked
    assert {("expect_column_values_to_be_in_set", c) for c in ("shape_0", "shape_1", "dtype")} <= checked


@pytest.mark.parametrize("site", SITES)
def test_suite_passes_on_every_prepared_site(site: str) -> None:
    prepared: PreparedSite = prepared_example()[site]
    assert failed_expectations(pd.DataFrame(manifest_of(prepared.data, prepared.labels))) == set()


@pytest.mark.parametrize("site", SITES)
def test_suite_passes_on_the_platforms_own_manifest(site: str) -> None:
    prepared: PreparedSite = prepared_example()[site]
    table = build_case_table(prepared.data, prepared.labels, prepared.metadata, table_choice(SUITE))
    assert (table.source, table.label_column) == ("manifest", "label")
    assert sorted(table.table["case_id"]) == sorted(p.stem for p in prepared.data.iterdir())
    outcome = validate_case_table(table.table, SUITE)
    assert outcome.evaluated == len(SUITE["expectations"]) and outcome.failures == []


def prepare_with(tmp_path: Path, change: Callable[[dict], None]) -> pd.DataFrame:
    """The demo prepared with changed parameters; its manifest."""
    parameters = yaml.safe_load((EXAMPLE / "containers" / "prep" / "workspace" / "parameters.yaml").read_text())
    change(parameters)
    (tmp_path / "parameters.yaml").write_text(yaml.safe_dump(parameters))
    raw = EXAMPLE / "data" / "demo"
    mounts = {
        **prepare_mounts(raw / "images", raw / "labels", tmp_path),
        "parameters_file": tmp_path / "parameters.yaml",
    }
    done = run_direct("prep", "prepare", mounts)
    assert done.returncode == 0, done.stderr
    return pd.DataFrame(manifest_of(tmp_path / "data", tmp_path / "labels"))


def test_a_site_preparing_at_another_size_fails_the_shape_expectations(tmp_path: Path) -> None:
    table = prepare_with(tmp_path, lambda p: p.update(image_size=96))
    shape = {("expect_column_values_to_be_in_set", "shape_0"), ("expect_column_values_to_be_in_set", "shape_1")}
    assert failed_expectations(table) == shape
    platform = build_case_table(tmp_path / "data", tmp_path / "labels", tmp_path / "metadata", table_choice(SUITE))
    failures = validate_case_table(platform.table, SUITE).failures
    assert {(f.expectation, f.column) for f in failures} == shape


def corrupt_inverted(table: pd.DataFrame) -> None:
    table["intensity_mean"] = 1.0 - table["intensity_mean"]  # MONOCHROME1 export: dark bones, bright lungs


def corrupt_label(table: pd.DataFrame) -> None:
    table.loc[2, "label"] = 2


def corrupt_missing_label(table: pd.DataFrame) -> None:
    table.loc[4, "label"] = None


def corrupt_dtype(table: pd.DataFrame) -> None:
    table.loc[1, "dtype"] = "float64"


def corrupt_raw_range(table: pd.DataFrame) -> None:
    table.loc[0, "intensity_max"] = 255.0


CORRUPTIONS = {
    "inverted": (corrupt_inverted, {("expect_column_values_to_be_between", "intensity_mean")}),
    "bad label": (corrupt_label, {("expect_column_values_to_be_in_set", "label")}),
    "missing label": (corrupt_missing_label, {("expect_column_values_to_not_be_null", "label")}),
    "float64": (corrupt_dtype, {("expect_column_values_to_be_in_set", "dtype")}),
    "not normalised": (corrupt_raw_range, {("expect_column_values_to_be_between", "intensity_max")}),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_a_corrupted_manifest_fails_the_right_expectation(name: str) -> None:
    corrupt, expected = CORRUPTIONS[name]
    prepared = prepared_example()["site-b"]
    table = pd.DataFrame(manifest_of(prepared.data, prepared.labels))
    corrupt(table)
    assert failed_expectations(table) == expected
