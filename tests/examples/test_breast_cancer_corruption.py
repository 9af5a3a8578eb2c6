"""A corrupted raw file fails prepare with one line naming file, row and column, and writes nothing."""

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from breast_cancer_harness import DATA, prepare_site


def copy_site(site: str, tmp_path: Path) -> tuple[Path, Path]:
    data, labels = tmp_path / "raw" / "data", tmp_path / "raw" / "labels"
    shutil.copytree(DATA / site / "data", data)
    shutil.copytree(DATA / site / "labels", labels)
    return data, labels


def edit_csv(path: Path, edit: Callable[[list[list[str]]], None]) -> None:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    edit(rows)
    with path.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def set_cell(rows: list[list[str]], row: int, column: str, value: str) -> None:
    """Set a cell by spreadsheet row number (header = 1) and column name."""
    rows[row - 1][rows[0].index(column)] = value


def drop_column(rows: list[list[str]], column: str) -> None:
    at = rows[0].index(column)
    for row in rows:
        del row[at]


def edit_json(path: Path, edit: Callable[[dict], None]) -> None:
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))


def edit_xlsx(path: Path, edit: Callable[[openpyxl.worksheet.worksheet.Worksheet], None]) -> None:
    workbook = openpyxl.load_workbook(path)
    edit(workbook["cytology"])
    workbook.save(path)


def xlsx_column(sheet: openpyxl.worksheet.worksheet.Worksheet, name: str) -> int:
    return [c.value for c in sheet[1]].index(name) + 1


def bad_label(labels: Path) -> None:
    edit_csv(labels / "labels.csv", lambda rows: set_cell(rows, 4, "label", "maybe"))


# (site, corruption, apply(data, labels), expected file, row, column)
CASES: list[tuple[str, str, Callable[[Path, Path], None], str, int, str]] = [
    (
        "site-a",
        "missing column",
        lambda d, _: edit_csv(d / "cases.csv", lambda r: drop_column(r, "mean texture")),
        "data_path/cases.csv",
        1,
        "mean texture",
    ),
    (
        "site-a",
        "non-numeric",
        lambda d, _: edit_csv(d / "cases.csv", lambda r: set_cell(r, 5, "mean area", "abc")),
        "data_path/cases.csv",
        5,
        "mean area",
    ),
    (
        "site-a",
        "duplicate id",
        lambda d, _: edit_csv(d / "cases.csv", lambda r: set_cell(r, 7, "case_id", r[2][0])),
        "data_path/cases.csv",
        7,
        "case_id",
    ),
    ("site-a", "bad label", lambda _, lab: bad_label(lab), "labels_path/labels.csv", 4, "label"),
    (
        "site-b",
        "missing column",
        lambda d, _: edit_json(d / "B-0005.json", lambda doc: doc["nucleus"]["texture"].pop("mean")),
        "data_path/B-0005.json",
        1,
        "nucleus.texture.mean",
    ),
    (
        "site-b",
        "non-numeric",
        lambda d, _: edit_json(d / "B-0005.json", lambda doc: doc["nucleus"]["area"].update(mean="abc")),
        "data_path/B-0005.json",
        1,
        "nucleus.area.mean",
    ),
    (
        "site-b",
        "duplicate id",
        lambda d, _: edit_json(d / "B-0007.json", lambda doc: doc["case"].update(id="B-0003")),
        "data_path/B-0007.json",
        1,
        "case.id",
    ),
    ("site-b", "bad label", lambda _, lab: bad_label(lab), "labels_path/labels.csv", 4, "label"),
    (
        "site-c",
        "missing column",
        lambda d, _: edit_xlsx(d / "cytology.xlsx", lambda s: s.delete_cols(xlsx_column(s, "Texture avg"))),
        "data_path/cytology.xlsx",
        1,
        "Texture avg",
    ),
    (
        "site-c",
        "non-numeric",
        lambda d, _: edit_xlsx(d / "cytology.xlsx", lambda s: s.cell(5, xlsx_column(s, "Area avg [mm2]"), "abc")),
        "data_path/cytology.xlsx",
        5,
        "Area avg [mm2]",
    ),
    (
        "site-c",
        "duplicate id",
        lambda d, _: edit_xlsx(d / "cytology.xlsx", lambda s: s.cell(7, 1, s.cell(3, 1).value)),
        "data_path/cytology.xlsx",
        7,
        "Specimen",
    ),
    ("site-c", "bad label", lambda _, lab: bad_label(lab), "labels_path/labels.csv", 4, "label"),
]


@pytest.mark.parametrize(
    ("site", "corruption", "corrupt", "file", "row", "column"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_corrupted_raw_data_fails_with_one_line_and_no_output(
    tmp_path: Path, site: str, corruption: str, corrupt: Callable[[Path, Path], None], file: str, row: int, column: str
) -> None:
    data, labels = copy_site(site, tmp_path)
    corrupt(data, labels)
    result, prepared = prepare_site(data, labels, tmp_path / "out")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"ERROR: {file}: row {row}, column {column!r}:"), lines[0]
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert written == []


def test_a_label_for_an_unknown_case_is_refused(tmp_path: Path) -> None:
    data, labels = copy_site("site-a", tmp_path)
    edit_csv(labels / "labels.csv", lambda rows: set_cell(rows, 3, "case_id", "A-9999"))
    result, _ = prepare_site(data, labels, tmp_path / "out")
    assert result.returncode != 0
    assert "has no label in labels_path/labels.csv" in result.stderr


def test_a_folder_with_two_formats_is_refused(tmp_path: Path) -> None:
    data, labels = copy_site("site-a", tmp_path)
    shutil.copy(DATA / "site-b" / "data" / "B-0001.json", data)
    result, _ = prepare_site(data, labels, tmp_path / "out")
    assert result.returncode != 0
    assert "expected one .csv" in result.stderr
