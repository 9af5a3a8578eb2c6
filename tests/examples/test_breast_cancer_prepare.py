"""The preparator turns each site's raw format into the same standard table as the sklearn data."""

import csv
from pathlib import Path

import numpy as np
import pytest
import yaml
from breast_cancer_harness import DATA, PreparedSite
from build import canonical_features
from wdbc_split import load_wdbc, make_split

FORMAT_OF_SITE = {"site-a": "csv", "site-b": "json", "site-c": "xlsx", "demo": "csv"}


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


@pytest.mark.parametrize("site", list(FORMAT_OF_SITE))
def test_prepared_cases_equal_the_sklearn_data(site: str, prepared_sites: dict[str, PreparedSite]) -> None:
    x, y = load_wdbc()
    part = make_split()[site]
    expected = dict(zip(part.case_ids, x[part.rows], strict=True))
    expected_labels = dict(zip(part.case_ids, y[part.rows], strict=True))

    header, rows = read_table(prepared_sites[site].data / "cases.csv")
    assert header == ["case_id", *canonical_features()]
    assert [r[0] for r in rows] == sorted(part.case_ids)
    got = np.array([[float(v) for v in r[1:]] for r in rows])
    want = np.array([expected[r[0]] for r in rows])
    # site-c stores mm / mm2: converting back may differ from the original in the last bit.
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)
    if FORMAT_OF_SITE[site] != "xlsx":
        assert np.array_equal(got, want)

    label_header, label_rows = read_table(prepared_sites[site].labels / "labels.csv")
    assert label_header == ["case_id", "label"]
    assert {cid: int(lab) for cid, lab in label_rows} == {k: int(v) for k, v in expected_labels.items()}


@pytest.mark.parametrize("site", list(FORMAT_OF_SITE))
def test_prepare_detects_the_format_and_reports_it(site: str, prepared_sites: dict[str, PreparedSite]) -> None:
    report = yaml.safe_load((prepared_sites[site].data.parent / "report" / "report.yaml").read_text())
    assert report["source_format"] == FORMAT_OF_SITE[site]
    assert report["num_cases"] == len(make_split()[site].case_ids)


def test_sites_are_disjoint_stratified_and_cover_the_data() -> None:
    _, y = load_wdbc()
    parts = make_split()
    main = [parts[name].rows for name in ("public", "site-a", "site-b", "site-c")]
    assert sorted(np.concatenate(main).tolist()) == list(range(569))
    assert set(parts["demo"].rows.tolist()) <= set(parts["public"].rows.tolist())
    assert len(parts["demo"].rows) == 30
    overall = y.mean()
    for rows in main:
        assert abs(y[rows].mean() - overall) < 0.02


def test_each_site_uses_its_own_label_codes() -> None:
    codes = {}
    for site in ("site-a", "site-b", "site-c"):
        _, rows = read_table(DATA / site / "labels" / "labels.csv")
        codes[site] = sorted({label for _, label in rows})
    assert codes == {"site-a": ["benign", "malignant"], "site-b": ["B", "M"], "site-c": ["Benign", "Malignant"]}
