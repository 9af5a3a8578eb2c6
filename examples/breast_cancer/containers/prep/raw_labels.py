"""Reader for a site's labels.csv (case_id,label) with its own label codes, mapped to 0/1."""

import csv
from pathlib import Path

from prep_errors import PrepError, RawDataError
from raw_cases import RawCase, parse_case_id
from raw_formats import LabelSpec


def read_raw_labels(labels_path: Path, spec: LabelSpec) -> dict[str, tuple[int, int]]:
    """Map case id -> (label 0/1, row); unknown codes and duplicate ids name file, row and column."""
    path = labels_path / spec.file
    csv_files = sorted(labels_path.glob("*.csv")) if labels_path.is_dir() else []
    if not path.is_file() and len(csv_files) == 1:  # a labels file of another name, given alone
        path = csv_files[0]
    name = f"labels_path/{path.name}"
    if not path.is_file():
        raise PrepError(f"{name}: file not found; the labels folder must contain {spec.file}")
    allowed = ", ".join(sorted(spec.codes))
    labels: dict[str, tuple[int, int]] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [cell.strip() for cell in next(reader, [])]
        for column in (spec.id_column, spec.label_column):
            if column not in header:
                raise RawDataError(name, 1, column, "column is missing")
        id_at, label_at = header.index(spec.id_column), header.index(spec.label_column)
        for row_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            cells = row + [""] * (len(header) - len(row))
            case_id = parse_case_id(cells[id_at], name, row_number, spec.id_column)
            code = cells[label_at].strip()
            if code.lower() not in spec.codes:
                raise RawDataError(
                    name, row_number, spec.label_column, f"label {code!r} is not allowed (use one of {allowed})"
                )
            if case_id in labels:
                first = labels[case_id][1]
                raise RawDataError(
                    name, row_number, spec.id_column, f"duplicate case id {case_id!r} (first in row {first})"
                )
            labels[case_id] = (spec.codes[code.lower()], row_number)
    return labels


def match_labels(
    cases: list[RawCase], labels: dict[str, tuple[int, int]], spec: LabelSpec, case_id_column: str
) -> list[int]:
    """The 0/1 label of each case, in case order; a case without label or a stray label is an error."""
    name = f"labels_path/{spec.file}"
    matched: list[int] = []
    for case in cases:
        if case.case_id not in labels:
            raise RawDataError(case.file, case.row, case_id_column, f"case {case.case_id!r} has no label in {name}")
        matched.append(labels[case.case_id][0])
    known = {case.case_id for case in cases}
    for case_id, (_, row) in labels.items():
        if case_id not in known:
            raise RawDataError(name, row, spec.id_column, f"case {case_id!r} is not in data_path")
    return matched
