"""ORM instances from Core rows: what the ORM's loader does, without its per-statement compilation and loading."""

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy.orm import configure_mappers, make_transient_to_detached
from sqlmodel import SQLModel

Row = TypeVar("Row", bound=SQLModel)

configure_mappers()  # what the ORM does before its first query: an instance's attributes need their mapper set up


def detached(table: type[Row], values: Mapping[Any, Any]) -> Row:
    """A detached instance of `table` holding a row's columns, as a closed session leaves an instance it loaded.

    No validation (the values come from the database, through the columns' own result conversions) and no
    session: reading attributes costs what it costs on a loaded row; nothing may write it back.
    """
    row: Row = table._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    row.__dict__.update(values)
    make_transient_to_detached(row)
    return row


def columns_of(table: type[SQLModel]) -> Any:
    """The Core columns of a table model (its attribute names are its column names)."""
    return table.__table__.columns  # type: ignore[attr-defined]
