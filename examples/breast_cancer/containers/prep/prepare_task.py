"""Task prepare: detect the raw format, read and check every cell, then write the standard tables."""

import csv
import io
import os
from pathlib import Path
from typing import Any

import yaml
from canonical_features import CASES_FILE, LABELS_FILE
from prep_errors import PrepError, display_name
from prepared_table import cases_rows, labels_rows
from raw_cases import RawCase
from raw_csv import read_csv_cases
from raw_formats import FormatDictionary, FormatSpec, detect_format, load_format_dictionary
from raw_json import read_json_cases
from raw_labels import match_labels, read_raw_labels
from raw_xlsx import read_xlsx_cases


def read_raw_cases(data_path: Path, dictionary: FormatDictionary) -> tuple[FormatSpec, list[RawCase]]:
    """Detect the format of data_path and read all its cases in canonical units."""
    kind, files = detect_format(data_path)
    spec = dictionary.formats.get(kind)
    if spec is None:
        raise PrepError(f"data_path: the format dictionary has no entry for {kind} files")
    names = [display_name("data_path", data_path, f) for f in files]
    if kind == "csv":
        return spec, read_csv_cases(files[0], spec, names[0])
    if kind == "xlsx":
        return spec, read_xlsx_cases(files[0], spec, names[0])
    return spec, read_json_cases(files, spec, names)


def _write_all(outputs: dict[Path, str]) -> None:
    """Write every file under a temporary name in its folder and rename them only when all are written."""
    temps: list[tuple[Path, Path]] = []
    try:
        for final, text in outputs.items():
            final.parent.mkdir(parents=True, exist_ok=True)
            temp = final.with_name(f".{final.name}.partial")
            temp.write_text(text, encoding="utf-8")
            temps.append((temp, final))
        for temp, final in temps:
            os.replace(temp, final)
    finally:
        for temp, _ in temps:
            temp.unlink(missing_ok=True)


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def run_prepare(
    data_path: Path,
    labels_path: Path,
    additional_files: Path,
    output_path: Path,
    output_labels_path: Path,
    report_file: Path | None,
    parameters: dict[str, Any],
) -> int:
    """Prepare one site's data; nothing is written unless every file, row and column is valid."""
    dictionary_file = additional_files / str(parameters.get("raw_formats_file", "raw_formats.json"))
    dictionary = load_format_dictionary(dictionary_file)
    spec, cases = read_raw_cases(data_path, dictionary)
    raw_labels = read_raw_labels(labels_path, dictionary.labels)
    labels = match_labels(cases, raw_labels, dictionary.labels, spec.id_column)
    order = sorted(range(len(cases)), key=lambda i: cases[i].case_id)
    ids = [cases[i].case_id for i in order]
    outputs = {
        output_path / CASES_FILE: _csv_text(cases_rows(ids, [cases[i].values for i in order])),
        output_labels_path / LABELS_FILE: _csv_text(labels_rows(ids, [labels[i] for i in order])),
    }
    _write_all(outputs)
    if report_file is not None:
        # A file output is mounted on its own, so it is overwritten in place (a rename onto it would fail).
        report = {"source_format": spec.kind, "num_cases": len(cases), "status": "prepared"}
        report_file.parent.mkdir(parents=True, exist_ok=True)
        report_file.write_text(yaml.safe_dump(report, sort_keys=False), encoding="utf-8")
    return len(cases)
