"""Reader for a site that exports one CSV file with one row per case."""

import csv
from pathlib import Path

from canonical_features import FEATURES
from prep_errors import RawDataError
from raw_cases import CaseCollector, RawCase, parse_case_id, parse_number
from raw_formats import FormatSpec


def read_csv_cases(path: Path, spec: FormatSpec, name: str) -> list[RawCase]:
    """Read every row of the CSV file; `name` is how the file is called in messages."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise RawDataError(name, 1, spec.id_column, "file is empty")
        index = {column.strip(): i for i, column in enumerate(header)}
        wanted = [spec.id_column] + [spec.columns[f].name for f in FEATURES]
        for column in wanted:
            if column not in index:
                raise RawDataError(name, 1, column, "column is missing")
        collector = CaseCollector(spec.id_column)
        for row_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise RawDataError(
                    name,
                    row_number,
                    header[min(len(row), len(header) - 1)],
                    f"row has {len(row)} cells, the header has {len(header)}",
                )
            case_id = parse_case_id(row[index[spec.id_column]], name, row_number, spec.id_column)
            values = tuple(
                parse_number(row[index[spec.columns[f].name]], name, row_number, spec.columns[f].name)
                * spec.columns[f].factor
                for f in FEATURES
            )
            collector.add(RawCase(case_id, values, name, row_number))
    return collector.cases
