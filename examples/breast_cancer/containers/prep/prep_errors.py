"""Errors of the preparation container: each is one line naming the file, row and column at fault."""

from pathlib import Path


class PrepError(Exception):
    """A problem with the input data or parameters; str() is the one line shown to the user."""


class RawDataError(PrepError):
    """A raw data or label file has a bad cell; rows are numbered as a spreadsheet shows them (header = 1)."""

    def __init__(self, file: str, row: int, column: str, problem: str) -> None:
        super().__init__(f"{file}: row {row}, column {column!r}: {problem}")
        self.file = file
        self.row = row
        self.column = column


class SanityCheckError(PrepError):
    """Prepared data does not have the standard shape or values."""


def display_name(root_label: str, root: Path, path: Path) -> str:
    """Name a file by the logical mount it lives in (e.g. data_path/cases.csv), not the host path."""
    try:
        return f"{root_label}/{path.relative_to(root).as_posix()}"
    except ValueError:
        return str(path)
