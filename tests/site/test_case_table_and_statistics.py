"""Which per-case table the suite sees and num_cases counts; the platform's statistics summary of it."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medperf.errors import ConfigError, SanityCheckFailed
from medperf.site.case_table import TableChoice, build_case_table, count_cases, table_choice
from medperf.site.statistics_summary import label_counts, read_container_statistics, summarise


def write_prepared(root: Path) -> tuple[Path, Path]:
    data, labels = root / "data", root / "labels"
    data.mkdir()
    labels.mkdir()
    (data / "cases.csv").write_text("case_id,age\nc1,50\nc2,61\nc3,47\n")
    (labels / "labels.csv").write_text("case_id,label\nc1,1\nc2,0\nc3,1\n")
    return data, labels


def write_arrays(root: Path, n: int) -> tuple[Path, Path]:
    data, labels = root / "data", root / "labels"
    data.mkdir()
    labels.mkdir()
    for index in range(n):
        np.save(data / f"scan-{index}.npy", np.zeros((2, 2)))
    return data, labels


def test_legacy_layout_joins_cases_and_labels(tmp_path: Path) -> None:
    data, labels = write_prepared(tmp_path)
    chosen = build_case_table(data, labels)
    assert (chosen.source, chosen.id_column, chosen.label_column) == ("case_table", "case_id", "label")
    assert list(chosen.table.columns) == ["case_id", "age", "label"]
    assert chosen.table.set_index("case_id").loc["c2", "label"] == 0


def test_preparators_own_table_wins_and_may_name_its_id_column_differently(tmp_path: Path) -> None:
    data, labels = write_prepared(tmp_path)
    metadata = tmp_path / "metadata"
    metadata.mkdir()
    (metadata / "case_table.csv").write_text("patient,size\n007,3\n008,4\n")
    chosen = build_case_table(data, labels, metadata)
    assert list(chosen.table.columns) == ["patient", "size"]
    assert (chosen.id_column, chosen.label_column) == ("patient", None)
    assert list(chosen.table["patient"]) == ["007", "008"]
    assert count_cases(data, labels, metadata) == 2


def test_without_a_preparator_table_the_default_is_the_manifest(tmp_path: Path) -> None:
    data, labels = write_arrays(tmp_path, 3)
    (labels / "truth.yaml").write_text("{scan-0: 1, scan-1: 0, scan-2: 1}")
    chosen = build_case_table(data, labels)
    assert (chosen.source, chosen.id_column, chosen.label_column) == ("manifest", "case_id", "label")
    assert len(chosen.table) == 3 and "shape_0" in chosen.table.columns
    assert chosen.site_report() == {
        "table": "manifest",
        "cases": 3,
        "labels_matched": 3,
        "labels_unmatched": 0,
        "labels_unreadable": 0,
        "labels_duplicated": 0,
    }
    assert count_cases(data, labels) == 3


def test_target_manifest_is_used_even_when_the_preparator_wrote_a_table(tmp_path: Path) -> None:
    data, labels = write_prepared(tmp_path)
    choice = table_choice({"target": "manifest", "expectations": []})
    chosen = build_case_table(data, labels, choice=choice)
    assert chosen.source == "manifest"
    assert list(chosen.table["case_id"]) == ["cases"]  # the legacy layout's one file is one "case"
    assert count_cases(data, labels, choice=choice) == 1


def test_target_case_table_without_one_names_what_is_missing(tmp_path: Path) -> None:
    data, labels = write_arrays(tmp_path, 2)
    choice = TableChoice(target="case_table")
    for call in (build_case_table, count_cases):
        with pytest.raises(SanityCheckFailed, match=r"targets the preparator's case table, but there is none") as err:
            call(data, labels, None, choice)
        assert "case_table.csv" in str(err.value) and "cases.csv" in str(err.value) and "\n" not in str(err.value)


def test_suite_declarations_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'target' must be one of"):
        table_choice({"target": "images"})
    with pytest.raises(ConfigError, match="'label_column' must be a column name"):
        table_choice({"label_column": 3})
    data, labels = write_prepared(tmp_path)
    assert build_case_table(data, labels, choice=TableChoice(label_column="age")).label_column == "age"
    with pytest.raises(SanityCheckFailed, match="label_column 'grade' is not a column of the case_table"):
        build_case_table(data, labels, choice=TableChoice(label_column="grade"))


def test_duplicate_ids_in_the_legacy_tables_are_one_clear_error(tmp_path: Path) -> None:
    data, labels = write_prepared(tmp_path)
    (labels / "labels.csv").write_text("case_id,label\nc1,1\nc1,0\n")
    with pytest.raises(SanityCheckFailed, match="a case id appears more than once"):
        build_case_table(data, labels)


def test_summary_counts_cases_and_labels_on_top_of_container_stats(tmp_path: Path) -> None:
    data, labels = write_prepared(tmp_path)
    stats_file = tmp_path / "statistics.yaml"
    stats_file.write_text("num_cases: 999\nmean_age: 52.7\n")
    chosen = build_case_table(data, labels)
    summary = summarise(
        chosen.table, {"expectations_failed": 0}, read_container_statistics(stats_file), chosen.label_column
    )
    assert summary == {
        "num_cases": 3,
        "label_counts": {"0": 1, "1": 2},
        "sanity": {"expectations_failed": 0},
        "mean_age": 52.7,
    }


def test_label_counts_only_for_a_categorical_scalar_label() -> None:
    table = pd.DataFrame(
        {
            "grade": ["low", "high", None, "low"],
            "flag": [1.0, 0.0, float("nan"), 1.0],  # whole numbers with a gap are categories
            "score": [0.25, 0.5, 0.75, 0.1],
            "many": list(range(4)),
        }
    )
    assert label_counts(table, "grade") == {"high": 1, "low": 2, "missing": 1}
    assert label_counts(table, "flag") == {"0": 1, "1": 2, "missing": 1}
    assert label_counts(table, "score") is None
    assert label_counts(table, None) is None
    assert label_counts(table, "absent") is None
    wide = pd.DataFrame({"code": list(range(21)) * 2})
    assert label_counts(wide, "code") is None


def test_summary_without_a_categorical_label_has_no_label_counts() -> None:
    table = pd.DataFrame({"case_id": ["a", "b", "c"], "volume_ml": [10.5, 11.25, 9.75]})
    summary = summarise(table, {"expectations_failed": 0}, {}, "volume_ml")
    assert summary == {"num_cases": 3, "sanity": {"expectations_failed": 0}}


@pytest.mark.parametrize(
    "suite",
    [{"target": "manifest"}, {}, {"target": "case_table"}, {"target": "manifest", "label_column": "label"}, None],
)
def test_listed_cases_are_the_ids_and_rows_of_the_table_the_suite_targets(tmp_path: Path, suite: dict | None) -> None:
    from medperf.site.dataset_steps import PreparedDataset, listed_cases, per_case_table
    from medperf.site.release_policy import case_ids_in

    for name, layout in (("legacy", write_prepared), ("arrays", lambda root: write_arrays(root, 3))):
        (tmp_path / name).mkdir()
        data, labels = layout(tmp_path / name)
        (data / "scan.nii.gz").write_bytes(b"")
        (data / "1.2.840.5").write_bytes(b"")
        (data / "series").mkdir()
        (labels / "truth.yaml").write_text("{scan-0: 1, scan-1: 0, scan-2: 1}")
        prepared = PreparedDataset(data, labels, tmp_path / name / "metadata", "unused")
        try:
            table = per_case_table(prepared, suite, summaries=False)
        except SanityCheckFailed as err:  # the same error either way
            with pytest.raises(SanityCheckFailed, match=re.escape(str(err))):
                listed_cases(prepared, suite)
            continue
        assert listed_cases(prepared, suite) == (len(table.table), case_ids_in(table))
