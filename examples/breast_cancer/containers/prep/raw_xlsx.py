"""Reader for a site that exports an .xlsx spreadsheet, with its own column names and units."""

from pathlib import Path

import openpyxl
from canonical_features import FEATURES
from prep_errors import PrepError, RawDataError
from raw_cases import CaseCollector, RawCase, parse_case_id, parse_number
from raw_formats import FormatSpec


def read_xlsx_cases(path: Path, spec: FormatSpec, name: str) -> list[RawCase]:
    """Read the configured sheet (header in row 1); values are converted by each column's factor."""
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many types for a damaged file
        raise PrepError(f"{name}: cannot open the spreadsheet ({err})") from None
    try:
        if spec.sheet is not None and spec.sheet not in workbook.sheetnames:
            raise PrepError(f"{name}: sheet {spec.sheet!r} not found (sheets: {', '.join(workbook.sheetnames)})")
        sheet = workbook[spec.sheet] if spec.sheet is not None else workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise RawDataError(name, 1, spec.id_column, "sheet is empty")
        index = {str(cell).strip(): i for i, cell in enumerate(header) if cell is not None}
        for column in [spec.id_column] + [spec.columns[f].name for f in FEATURES]:
            if column not in index:
                raise RawDataError(name, 1, column, "column is missing")
        collector = CaseCollector(spec.id_column)
        for row_number, row in enumerate(rows, start=2):
            if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row):
                continue
            cells = list(row) + [None] * (len(header) - len(row))
            case_id = parse_case_id(cells[index[spec.id_column]], name, row_number, spec.id_column)
            values = tuple(
                parse_number(cells[index[spec.columns[f].name]], name, row_number, spec.columns[f].name)
                * spec.columns[f].factor
                for f in FEATURES
            )
            collector.add(RawCase(case_id, values, name, row_number))
        return collector.cases
    finally:
        workbook.close()
