"""Reading and writing the standard prepared tables: cases.csv (case_id + 30 features) and labels.csv."""

import csv
import math
from pathlib import Path

from canonical_features import CASES_FILE, FEATURES, ID_COLUMN, LABEL_COLUMN, LABELS_FILE
from prep_errors import SanityCheckError


def cases_rows(case_ids: list[str], values: list[tuple[float, ...]]) -> list[list[str]]:
    """Rows of cases.csv, floats written so they read back exactly (repr)."""
    rows = [[ID_COLUMN, *FEATURES]]
    rows += [[cid, *(repr(v) for v in vals)] for cid, vals in zip(case_ids, values, strict=True)]
    return rows


def labels_rows(case_ids: list[str], labels: list[int]) -> list[list[str]]:
    """Rows of labels.csv: case_id,label with label 0 (benign) or 1 (malignant)."""
    return [[ID_COLUMN, LABEL_COLUMN]] + [[cid, str(lab)] for cid, lab in zip(case_ids, labels, strict=True)]


def read_prepared_cases(data_path: Path) -> tuple[list[str], list[tuple[float, ...]]]:
    """Read cases.csv; anything but the exact standard shape raises SanityCheckError naming the cell."""
    path = data_path / CASES_FILE
    name = f"data_path/{CASES_FILE}"
    if not path.is_file():
        raise SanityCheckError(f"{name}: file not found; run the prepare task first")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        if header != [ID_COLUMN, *FEATURES]:
            raise SanityCheckError(f"{name}: row 1: header is not case_id followed by the 30 canonical features")
        ids: list[str] = []
        values: list[tuple[float, ...]] = []
        for row_number, row in enumerate(reader, start=2):
            if len(row) != len(header):
                raise SanityCheckError(f"{name}: row {row_number}: expected {len(header)} cells, got {len(row)}")
            parsed: list[float] = []
            for column, cell in zip(FEATURES, row[1:], strict=True):
                try:
                    number = float(cell)
                except ValueError:
                    number = math.nan
                if not math.isfinite(number):
                    raise SanityCheckError(f"{name}: row {row_number}, column {column!r}: {cell!r} is not a number")
                parsed.append(number)
            ids.append(row[0])
            values.append(tuple(parsed))
    return ids, values


def read_prepared_labels(labels_path: Path) -> dict[str, int]:
    """Read labels.csv into case id -> 0/1; other labels or duplicate ids raise SanityCheckError."""
    path = labels_path / LABELS_FILE
    name = f"labels_path/{LABELS_FILE}"
    if not path.is_file():
        raise SanityCheckError(f"{name}: file not found; run the prepare task first")
    labels: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        if next(reader, []) != [ID_COLUMN, LABEL_COLUMN]:
            raise SanityCheckError(f"{name}: row 1: header must be {ID_COLUMN},{LABEL_COLUMN}")
        for row_number, row in enumerate(reader, start=2):
            if len(row) != 2 or row[1] not in ("0", "1"):
                raise SanityCheckError(f"{name}: row {row_number}, column 'label': must be 0 or 1, got {row!r}")
            if row[0] in labels:
                raise SanityCheckError(f"{name}: row {row_number}, column 'case_id': duplicate case id")
            labels[row[0]] = int(row[1])
    return labels
