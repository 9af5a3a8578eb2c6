"""Cases read from any raw format: numeric parsing and duplicate detection shared by every reader."""

import math
from dataclasses import dataclass, field

from prep_errors import RawDataError


@dataclass(frozen=True)
class RawCase:
    """One case in canonical units, with where it came from (for error messages)."""

    case_id: str
    values: tuple[float, ...]
    file: str
    row: int


def parse_number(value: object, file: str, row: int, column: str) -> float:
    """A finite number from a cell (number or numeric text); anything else names file, row and column."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RawDataError(file, row, column, "missing value")
    if isinstance(value, bool):
        raise RawDataError(file, row, column, f"{value!r} is not a number")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise RawDataError(file, row, column, f"{value!r} is not a number") from None
    else:
        raise RawDataError(file, row, column, f"{value!r} is not a number")
    if not math.isfinite(number):
        raise RawDataError(file, row, column, f"{value!r} is not a finite number")
    return number


def parse_case_id(value: object, file: str, row: int, column: str) -> str:
    """A non-empty case id; numbers are accepted as text (spreadsheets store them as numbers)."""
    if value is None:
        raise RawDataError(file, row, column, "missing case id")
    text = str(value).strip()
    if not text:
        raise RawDataError(file, row, column, "missing case id")
    return text


@dataclass
class CaseCollector:
    """Collects cases in read order and refuses a case id seen before."""

    id_column: str
    cases: list[RawCase] = field(default_factory=list)
    _seen: dict[str, RawCase] = field(default_factory=dict)

    def add(self, case: RawCase) -> None:
        """Add a case, or fail naming both places the id appears."""
        first = self._seen.get(case.case_id)
        if first is not None:
            raise RawDataError(
                case.file,
                case.row,
                self.id_column,
                f"duplicate case id {case.case_id!r} (first in {first.file} row {first.row})",
            )
        self._seen[case.case_id] = case
        self.cases.append(case)
