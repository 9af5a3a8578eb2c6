"""Labels in any layout join the manifest by case id: one file per case, one table, or nothing that matches."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from medperf.site.manifest import build_manifest


def prepared(root: Path, case_ids: list[str]) -> tuple[Path, Path]:
    data, labels = root / "data", root / "labels"
    data.mkdir()
    labels.mkdir()
    for index, case_id in enumerate(case_ids):
        np.save(data / f"{case_id}.npy", np.full((4, 4), index, dtype=np.uint8))
    return data, labels


def by_case(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("case_id")


def test_one_label_file_per_case_in_each_format(tmp_path: Path) -> None:
    data, labels = prepared(tmp_path, ["c1", "c2", "c3", "c4", "c5", "c6"])
    (labels / "c1.txt").write_text("1\n")
    (labels / "c2.json").write_text("0")
    (labels / "c3.yaml").write_text("label: 1\ngrade: 3\n")
    np.save(labels / "c4.npy", np.array(0))
    mask = np.zeros((4, 4), dtype=np.uint8)
    mask[1:3, 1:3] = 2
    np.save(labels / "c5.npy", mask)
    Image.fromarray(mask * 100).save(labels / "c6.png")

    manifest = build_manifest(data, labels)
    table = by_case(manifest.table)
    assert list(table["label"].iloc[:4]) == [1, 0, 1, 0]
    assert table.loc["c3", "grade"] == 3
    mask_columns = ["label_ndim", "label_shape_0", "label_shape_1", "label_unique_count"]
    assert list(table.loc["c5", mask_columns]) == [2, 4, 4, 2]
    assert (table.loc["c6", "label_dtype"], table.loc["c6", "label_unique_count"]) == ("uint8", 2)
    assert table["has_label"].all() and table["label_readable"].all()
    assert manifest.label_column == "label"
    assert manifest.labels.counts()["labels_unmatched"] == 0


def test_one_csv_with_its_own_id_column_name_joins_on_the_matching_values(tmp_path: Path) -> None:
    data, labels = prepared(tmp_path, ["007", "008", "009"])
    (labels / "findings.csv").write_text("row,patient_file,diagnosis\n1,007.npy,nodule\n2,008,normal\n3,999,normal\n")
    manifest = build_manifest(data, labels)
    table = by_case(manifest.table)
    assert "007" in table.index, "case ids are matched as written (leading zeros kept)"
    assert table.loc["007", "diagnosis"] == "nodule" and table.loc["008", "diagnosis"] == "normal"
    assert pd.isna(table.loc["009", "diagnosis"]) and not table.loc["009", "has_label"]
    assert "patient_file" not in table.columns
    assert manifest.labels.counts()["labels_unmatched"] == 1
    assert manifest.label_column is None  # two value columns (row, diagnosis): no single label column


def test_a_yaml_mapping_of_case_id_to_label(tmp_path: Path) -> None:
    data, labels = prepared(tmp_path, ["a", "b"])
    (labels / "labels.yaml").write_text("labels:\n  a: benign\n  b: malignant\n")
    manifest = build_manifest(data, labels)
    assert list(by_case(manifest.table)["label"]) == ["benign", "malignant"]
    assert manifest.label_column == "label"


def test_a_json_list_of_records_keeps_its_column_names(tmp_path: Path) -> None:
    data, labels = prepared(tmp_path, ["a", "b"])
    records = [{"subject": "b", "score": 0.25, "size_bytes": 7}, {"subject": "a", "score": 0.5, "size_bytes": 9}]
    (labels / "truth.json").write_text(json.dumps(records))
    table = by_case(build_manifest(data, labels).table)
    assert table.loc["a", "score"] == 0.5
    assert table.loc["a", "label_size_bytes"] == 9, "a label column never overwrites a manifest column"
    assert table.loc["a", "size_bytes"] == (data / "a.npy").stat().st_size


def test_labels_that_match_nothing_add_no_column_and_are_counted(tmp_path: Path) -> None:
    data, labels = prepared(tmp_path, ["a", "b"])
    (labels / "x.txt").write_text("1")
    (labels / "other.csv").write_text("id,label\nzz,1\nyy,0\n")
    manifest = build_manifest(data, labels)
    assert len(manifest.table) == 2
    assert not {"label", "has_label", "label_readable"} & set(manifest.table.columns)
    assert manifest.labels.counts() == {
        "labels_matched": 0,
        "labels_unmatched": 3,
        "labels_unreadable": 0,
        "labels_duplicated": 0,
    }


def test_an_unreadable_label_file_is_marked_not_a_crash(tmp_path: Path) -> None:
    data, labels = prepared(tmp_path, ["a", "b"])
    (labels / "a.json").write_text("{not json")
    (labels / "b.json").write_text("1")
    manifest = build_manifest(data, labels)
    table = by_case(manifest.table)
    assert not table.loc["a", "label_readable"] and table.loc["a", "has_label"]
    assert table.loc["b", "label"] == 1
    assert manifest.labels.counts()["labels_unreadable"] == 1


def test_a_case_labelled_twice_keeps_the_first_label_and_counts_the_duplicate(tmp_path: Path) -> None:
    data, labels = prepared(tmp_path, ["a", "b"])
    (labels / "labels.csv").write_text("case,label\na,1\nb,0\na,0\n")
    manifest = build_manifest(data, labels)
    assert by_case(manifest.table).loc["a", "label"] == 1
    assert manifest.labels.counts()["labels_duplicated"] == 1
