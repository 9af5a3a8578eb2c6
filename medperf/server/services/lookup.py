"""Fetching rows by id with a 404 (or a 409 when withdrawn) that names the entity; the id range of every column."""

from typing import Any, TypeVar

from sqlmodel import Session, SQLModel

from medperf.schemas.common import MAX_ID
from medperf.server.services.errors import Conflict, NotFound

__all__ = ["MAX_ID", "get_live_or_404", "get_or_404", "id_of", "require_live"]

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


def require_live(row: Any, label: str) -> None:
    """Conflict (409) when the row was withdrawn: it is kept for the record but takes part in nothing new."""
    if getattr(row, "withdrawn_at", None) is not None:
        raise Conflict(f"{label} {row.id} is withdrawn; register a new one")


def get_live_or_404(session: Session, table: type[RowT], row_id: int, label: str) -> RowT:
    """`get_or_404`, and a Conflict naming `label` when that row is withdrawn."""
    row = get_or_404(session, table, row_id, label)
    require_live(row, label)
    return row
