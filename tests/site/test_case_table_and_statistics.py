"""The per-case table is derived from cases.csv + labels.csv unless the preparator wrote one."""

from pathlib import Path

import pytest

from medperf.errors import SanityCheckFailed
from medperf.site.case_table import build_case_table
from medperf.site.statistics_summary import read_container_statistics, summarise


def write_prepared(root: Path) -> tuple[Path, Path]:
    data, labels = root / "data", root / "labels"
    data.mkdir()
    labels.mkdir()
    (data / "cases.csv").write_text("case_id,age\nc1,50\nc2,61\nc3,47\n")
    (labels / "labels.csv").write_text("case_id,label\nc1,1\nc2,0\nc3,1\n")
    return data, labels


def test_table_joins_cases_and_labels(tmp_path: Path) -> None:
    data, labels = write_prepared(tmp_path)
    table = build_case_table(data, labels)
    assert list(table.columns) == ["case_id", "age", "label"]
    assert table.set_index("case_id").loc["c2", "label"] == 0


def test_preparators_own_table_wins(tmp_path: Path) -> None:
    data, labels = write_prepared(tmp_path)
    (data / "case_table.csv").write_text("case_id,size\nc1,3\n")
    assert list(build_case_table(data, labels).columns) == ["case_id", "size"]


def test_missing_cases_file_is_named(tmp_path: Path) -> None:
    data, labels = write_prepared(tmp_path)
    (data / "cases.csv").unlink()
    with pytest.raises(SanityCheckFailed, match="cases.csv: missing"):
        build_case_table(data, labels)


def test_summary_counts_cases_and_labels_on_top_of_container_stats(tmp_path: Path) -> None:
    data, labels = write_prepared(tmp_path)
    stats_file = tmp_path / "statistics.yaml"
    stats_file.write_text("num_cases: 999\nmean_age: 52.7\n")
    summary = summarise(
        build_case_table(data, labels), {"expectations_failed": 0}, read_container_statistics(stats_file)
    )
    assert summary == {
        "num_cases": 3,
        "label_counts": {"0": 1, "1": 2},
        "sanity": {"expectations_failed": 0},
        "mean_age": 52.7,
    }
