"""sanity_check accepts good prepared data and names faults; statistics are aggregates, small cells suppressed."""

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from breast_cancer_harness import PreparedSite, run_task


def copy_prepared(site: PreparedSite, tmp_path: Path) -> PreparedSite:
    copy = PreparedSite(site.name, tmp_path / "data", tmp_path / "labels")
    shutil.copytree(site.data, copy.data)
    shutil.copytree(site.labels, copy.labels)
    return copy


def keep_rows(site: PreparedSite, keep: list[int]) -> None:
    """Keep only the given data rows (0-based) in both prepared tables."""
    for path in (site.data / "cases.csv", site.labels / "labels.csv"):
        rows = list(csv.reader(path.open()))
        rows = [rows[0]] + [rows[1 + i] for i in keep]
        with path.open("w", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)


def statistics(site: PreparedSite, out: Path, parameters: Path | None = None) -> dict:
    mounts = {"data_path": site.data, "labels_path": site.labels, "output_path": out / "statistics.yaml"}
    if parameters is not None:
        mounts["parameters_file"] = parameters
    result = run_task("prep", "statistics", mounts)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load((out / "statistics.yaml").read_text())


@pytest.mark.parametrize("site", ["site-a", "site-b", "site-c", "demo"])
def test_sanity_check_passes_on_prepared_sites(site: str, prepared_sites: dict[str, PreparedSite]) -> None:
    prepared = prepared_sites[site]
    result = run_task("prep", "sanity_check", {"data_path": prepared.data, "labels_path": prepared.labels})
    assert result.returncode == 0, result.stderr


def test_sanity_check_names_a_negative_value(prepared_sites: dict[str, PreparedSite], tmp_path: Path) -> None:
    site = copy_prepared(prepared_sites["site-a"], tmp_path)
    rows = list(csv.reader((site.data / "cases.csv").open()))
    rows[3][rows[0].index("area_mean")] = "-1.0"
    with (site.data / "cases.csv").open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    result = run_task("prep", "sanity_check", {"data_path": site.data, "labels_path": site.labels})
    assert result.returncode != 0
    assert result.stderr.strip() == "ERROR: data_path/cases.csv: row 4, column 'area_mean': negative value -1.0"


def test_sanity_check_fails_when_labels_do_not_match(prepared_sites: dict[str, PreparedSite], tmp_path: Path) -> None:
    site = copy_prepared(prepared_sites["site-b"], tmp_path)
    lines = (site.labels / "labels.csv").read_text().splitlines(keepends=True)
    (site.labels / "labels.csv").write_text("".join(lines[:-1]))
    result = run_task("prep", "sanity_check", {"data_path": site.data, "labels_path": site.labels})
    assert result.returncode != 0
    assert "1 cases have no label" in result.stderr


def test_statistics_are_aggregates_matching_the_data(prepared_sites: dict[str, PreparedSite], tmp_path: Path) -> None:
    site = prepared_sites["site-c"]
    stats = statistics(site, tmp_path)
    rows = list(csv.reader((site.data / "cases.csv").open()))
    x = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
    labels = [int(r[1]) for r in list(csv.reader((site.labels / "labels.csv").open()))[1:]]
    assert set(stats) == {"num_cases", "label_counts", "features", "min_cell_count", "suppressed"}
    assert stats["num_cases"] == len(x)
    assert stats["label_counts"] == {"benign": labels.count(0), "malignant": labels.count(1)}
    assert stats["suppressed"] == []
    for i, feature in enumerate(rows[0][1:]):
        assert stats["features"][feature]["mean"] == pytest.approx(x[:, i].mean(), rel=1e-12)
        assert stats["features"][feature]["std"] == pytest.approx(x[:, i].std(ddof=1), rel=1e-12)
    text = (tmp_path / "statistics.yaml").read_text()
    assert not any(r[0] in text for r in rows[1:]), "a case id leaked into the statistics"


def test_a_small_cell_is_suppressed(prepared_sites: dict[str, PreparedSite], tmp_path: Path) -> None:
    site = copy_prepared(prepared_sites["site-a"], tmp_path / "copy")
    labels = [int(r[1]) for r in list(csv.reader((site.labels / "labels.csv").open()))[1:]]
    benign = [i for i, lab in enumerate(labels) if lab == 0][:20]
    malignant = [i for i, lab in enumerate(labels) if lab == 1][:3]
    keep_rows(site, sorted(benign + malignant))
    stats = statistics(site, tmp_path)
    assert stats["label_counts"] == {"benign": 20, "malignant": None}
    assert stats["suppressed"] == ["label_counts.malignant"]
    assert stats["num_cases"] == 23


def test_everything_is_suppressed_below_min_cell_count(prepared_sites: dict[str, PreparedSite], tmp_path: Path) -> None:
    site = copy_prepared(prepared_sites["demo"], tmp_path / "copy")
    keep_rows(site, [0, 1, 2, 3])
    parameters = tmp_path / "parameters.yaml"
    parameters.write_text("min_cell_count: 5\n")
    stats = statistics(site, tmp_path, parameters)
    assert stats["num_cases"] is None
    assert stats["features"] is None
    assert set(stats["suppressed"]) >= {"num_cases", "features"}
