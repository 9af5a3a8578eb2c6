"""The benchmark's GX 1.x suite passes on every prepared site and fails the right expectation on bad tables."""

import json

import pandas as pd
import pytest
from breast_cancer_harness import EXAMPLE, PreparedSite
from build import canonical_features
from support.gx_suite import failed_expectations as validate_directly
from wdbc_split import load_wdbc

SUITE = json.loads((EXAMPLE / "benchmark" / "sanity_suite.json").read_text())


def per_case_table(site: PreparedSite) -> pd.DataFrame:
    """The table the flows validate: prepared cases.csv joined with labels.csv on case_id."""
    cases = pd.read_csv(site.data / "cases.csv", dtype={"case_id": str})
    labels = pd.read_csv(site.labels / "labels.csv", dtype={"case_id": str})
    return cases.merge(labels, on="case_id", how="left", validate="one_to_one")


def failed_expectations(table: pd.DataFrame) -> set[tuple[str, str | None]]:
    """(expectation type, column) of every failed expectation of the example's suite."""
    return validate_directly(table, SUITE)


@pytest.mark.parametrize("site", ["site-a", "site-b", "site-c", "demo"])
def test_suite_passes_on_every_prepared_site(site: str, prepared_sites: dict[str, PreparedSite]) -> None:
    assert failed_expectations(per_case_table(prepared_sites[site])) == set()


def corrupt_duplicate(table: pd.DataFrame) -> None:
    table.loc[5, "case_id"] = str(table["case_id"].iloc[2])


def corrupt_units(table: pd.DataFrame) -> None:
    table["radius_mean"] = table["radius_mean"] / 1000.0  # a site forgot the mm -> um conversion


def corrupt_label(table: pd.DataFrame) -> None:
    table.loc[3, "label"] = 2


def corrupt_missing(table: pd.DataFrame) -> None:
    table.loc[4, "texture_worst"] = None


CORRUPTIONS = {
    "duplicate case id": (corrupt_duplicate, {("expect_column_values_to_be_unique", "case_id")}),
    "unit error": (corrupt_units, {("expect_column_values_to_be_between", "radius_mean")}),
    "bad label": (corrupt_label, {("expect_column_values_to_be_in_set", "label")}),
    "missing value": (corrupt_missing, {("expect_column_values_to_not_be_null", "texture_worst")}),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_a_corrupted_table_fails_the_right_expectation(name: str, prepared_sites: dict[str, PreparedSite]) -> None:
    corrupt, expected = CORRUPTIONS[name]
    table = per_case_table(prepared_sites["site-b"])
    corrupt(table)
    assert failed_expectations(table) == expected


def test_too_few_cases_fail_the_row_count(prepared_sites: dict[str, PreparedSite]) -> None:
    table = per_case_table(prepared_sites["demo"]).head(10)
    assert failed_expectations(table) == {("expect_table_row_count_to_be_between", None)}


def test_ranges_cover_all_wdbc_cases_and_every_feature() -> None:
    x, _ = load_wdbc()
    ranges = {
        e["kwargs"]["column"]: (e["kwargs"]["min_value"], e["kwargs"]["max_value"])
        for e in SUITE["expectations"]
        if e["type"] == "expect_column_values_to_be_between"
    }
    assert list(ranges) == canonical_features()
    for i, (low, high) in enumerate(ranges.values()):
        assert low <= x[:, i].min() and x[:, i].max() <= high
        assert (low > 0) == (x[:, i].min() > 0)
