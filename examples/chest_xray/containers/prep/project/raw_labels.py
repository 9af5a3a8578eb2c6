"""A site's labels CSV (labels_path): find its image and label columns and map its codes to 0/1."""

import csv
import re
from pathlib import Path

from parameters import LabelColumns
from prep_errors import PrepError

CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def find_labels_csv(labels_path: Path) -> Path:
    """The one .csv file in labels_path."""
    found = sorted(labels_path.glob("*.csv")) if labels_path.is_dir() else []
    if len(found) != 1:
        raise PrepError(f"labels_path: expected exactly one .csv file, found {len(found)}; keep only the labels CSV")
    return found[0]


def _column(header: list[str], accepted: tuple[str, ...], what: str, name: str, key: str) -> int:
    lowered = [cell.strip().lower() for cell in header]
    matches = [i for i, cell in enumerate(lowered) if cell in accepted]
    if len(matches) != 1:
        raise PrepError(
            f"labels_path/{name}: row 1: needs exactly one {what} column (one of {', '.join(accepted)}), "
            f"found {len(matches)}; rename it or add its name to {key} in parameters.yaml"
        )
    return matches[0]


def case_id_of(reference: str) -> str:
    """The case id an image reference names: the file name without .png (case-insensitive), or the id itself."""
    name = Path(reference.strip()).name
    return name[:-4] if name.lower().endswith(".png") else name


def read_labels(labels_path: Path, columns: LabelColumns) -> dict[str, int]:
    """case id -> 0/1 from the site's CSV; an unknown code, a duplicate or a short row fails naming the row."""
    path = find_labels_csv(labels_path)
    codes = {**{code: 0 for code in columns.negative_codes}, **{code: 1 for code in columns.positive_codes}}
    labels: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        image_col = _column(header, columns.image_columns, "image", path.name, "labels.image_columns")
        label_col = _column(header, columns.label_columns, "label", path.name, "labels.label_columns")
        for row_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) <= max(image_col, label_col):
                raise PrepError(f"labels_path/{path.name}: row {row_number}: has {len(row)} cells, expected more")
            case_id = case_id_of(row[image_col])
            code = row[label_col].strip().lower()
            if not CASE_ID.fullmatch(case_id):
                raise PrepError(
                    f"labels_path/{path.name}: row {row_number}, column {header[image_col]!r}: "
                    f"{row[image_col]!r} is not a PNG name (letters, digits, '.', '_', '-')"
                )
            if code not in codes:
                raise PrepError(
                    f"labels_path/{path.name}: row {row_number}, column {header[label_col]!r}: "
                    f"{row[label_col]!r} is not a known label code ({', '.join(sorted(codes))})"
                )
            if case_id in labels:
                raise PrepError(f"labels_path/{path.name}: row {row_number}: case {case_id!r} is listed twice")
            labels[case_id] = codes[code]
    return labels
