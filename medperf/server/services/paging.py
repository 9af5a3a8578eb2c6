"""One page of a filtered query plus the total count, as the wire `Page` shape."""

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

from medperf.schemas import Page

PublicT = TypeVar("PublicT", bound=BaseModel)


def page_rows(session: Session, stmt: SelectOfScalar[Any], limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    """The number of rows `stmt` matches, and one page of them (ordered by id) as plain column dicts.

    `stmt` is `select(Table).where(...)`: its table and WHERE clause are re-read with Core statements on
    the session's connection (no ORM compile step, no ORM objects), so a page of 100 is cheap.
    """
    table = stmt.column_descriptions[0]["entity"].__table__
    where = stmt.whereclause
    count = select(func.count()).select_from(table)
    page = select(*table.columns).order_by(table.c.id).limit(limit).offset(offset)
    if where is not None:
        count, page = count.where(where), page.where(where)
    connection = session.connection()
    total = connection.execute(count).scalar_one()
    result = connection.execute(page)
    keys = tuple(result.keys())
    return int(total), [dict(zip(keys, row, strict=True)) for row in result.all()]


def paginate(
    session: Session,
    stmt: SelectOfScalar[Any],
    public: type[PublicT],
    limit: int,
    offset: int,
    convert: Callable[[Any], PublicT] | None = None,
) -> Page[PublicT]:
    """Run `stmt` ordered by id with limit/offset, and count all rows it matches."""
    total, rows = page_rows(session, stmt, limit, offset)
    make = convert or public.model_validate
    return Page[public](items=[make(row) for row in rows], count=total, limit=limit, offset=offset)  # type: ignore[valid-type]
