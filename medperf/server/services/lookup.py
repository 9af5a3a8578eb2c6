"""Fetching rows by id with a 404 that names the entity, and the id range every column accepts."""

from typing import TypeVar

from sqlmodel import Session, SQLModel

from medperf.schemas.common import MAX_ID
from medperf.server.services.errors import NotFound

__all__ = ["MAX_ID", "get_or_404", "id_of"]

RowT = TypeVar("RowT", bound=SQLModel)


def id_of(row: SQLModel) -> int:
    """The primary key of a row that has been flushed (a None id here is a bug, not a user error)."""
    row_id = getattr(row, "id", None)
    if not isinstance(row_id, int):
        raise RuntimeError(f"{type(row).__name__} has no id yet")
    return row_id


def get_or_404(session: Session, table: type[RowT], row_id: int, label: str) -> RowT:
    """The row with this id, or NotFound naming `label` (e.g. 'benchmark' or 'reference_model_id')."""
    if not 1 <= row_id <= MAX_ID:
        raise NotFound(f"{label} {row_id} not found")
    row = session.get(table, row_id)
    if row is None:
        raise NotFound(f"{label} {row_id} not found")
    return row
