"""Writers of the three hospital raw formats (CSV, JSON per case, XLSX in mm) from canonical values."""

import csv
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl

FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
FIXED_CORE_TIME = "2026-01-01T00:00:00Z"


def load_format_dictionary(path: Path) -> dict[str, Any]:
    """The preparator's raw_formats.json: the single place where raw column names and units are defined."""
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _raw_columns(dictionary: dict[str, Any], kind: str, features: list[str]) -> list[tuple[str, float]]:
    columns = dictionary["formats"][kind]["columns"]
    return [(columns[f]["name"], float(columns[f]["factor"])) for f in features]


def write_labels(folder: Path, case_ids: list[str], labels: np.ndarray, codes: tuple[str, str]) -> None:
    """labels.csv = case_id,label with this site's codes (benign code, malignant code)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "labels.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["case_id", "label"])
        writer.writerows([cid, codes[int(lab)]] for cid, lab in zip(case_ids, labels, strict=True))


def write_csv_site(
    folder: Path, dictionary: dict[str, Any], features: list[str], ids: list[str], x: np.ndarray
) -> None:
    """One cases.csv with the sklearn feature names (site-a and the demo dataset)."""
    columns = _raw_columns(dictionary, "csv", features)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "cases.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([dictionary["formats"]["csv"]["id_column"], *(name for name, _ in columns)])
        for case_id, row in zip(ids, x, strict=True):
            writer.writerow([case_id, *(repr(float(v) / factor) for v, (_, factor) in zip(row, columns, strict=True))])


def _set_path(document: dict[str, Any], dotted: str, value: object) -> None:
    *parents, leaf = dotted.split(".")
    node = document
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


def write_json_site(
    folder: Path, dictionary: dict[str, Any], features: list[str], ids: list[str], x: np.ndarray
) -> None:
    """One nested JSON document per case, e.g. {"case": {"id": ...}, "nucleus": {"radius": {"mean": ...}}}."""
    spec = dictionary["formats"]["json"]
    columns = _raw_columns(dictionary, "json", features)
    folder.mkdir(parents=True, exist_ok=True)
    for case_id, row in zip(ids, x, strict=True):
        document: dict[str, Any] = {}
        _set_path(document, spec["id_column"], case_id)
        _set_path(document, "case.source", "cytology export v2")
        for value, (path, factor) in zip(row, columns, strict=True):
            _set_path(document, path, float(value) / factor)
        (folder / f"{case_id}.json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def write_xlsx_site(
    folder: Path, dictionary: dict[str, Any], features: list[str], ids: list[str], x: np.ndarray
) -> None:
    """One spreadsheet with the lab's own column names, lengths in mm and areas in mm2, columns reordered."""
    spec = dictionary["formats"]["xlsx"]
    columns = _raw_columns(dictionary, "xlsx", features)
    order = sorted(range(len(columns)), key=lambda i: columns[i][0])  # the lab sorts its columns by name
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = spec["sheet"]
    sheet.append([spec["id_column"], "Stain batch", *(columns[i][0] for i in order)])
    for case_id, row in zip(ids, x, strict=True):
        sheet.append([case_id, "HE-2", *(float(row[i]) / columns[i][1] for i in order)])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cytology.xlsx"
    workbook.save(path)
    _make_reproducible(path)


def _make_reproducible(path: Path) -> None:
    """Rewrite the .xlsx zip with fixed timestamps so a rebuild gives identical bytes."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in entries:
            if name == "docProps/core.xml":
                content = _fix_core_times(content.decode("utf-8")).encode("utf-8")
            target.writestr(zipfile.ZipInfo(name, FIXED_ZIP_TIME), content, zipfile.ZIP_DEFLATED)


def _fix_core_times(xml: str) -> str:
    for tag in ("dcterms:created", "dcterms:modified"):
        start = xml.find(f"<{tag}")
        if start < 0:
            continue
        open_end = xml.index(">", start) + 1
        close = xml.index(f"</{tag}>", open_end)
        xml = xml[:open_end] + FIXED_CORE_TIME + xml[close:]
    return xml
