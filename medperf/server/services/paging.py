"""One page of a filtered query plus the total count, as the wire `Page` shape."""

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

from medperf.schemas import Page

PublicT = TypeVar("PublicT", bound=BaseModel)


def paginate(
    session: Session,
    stmt: SelectOfScalar[Any],
    public: type[PublicT],
    limit: int,
    offset: int,
    convert: Callable[[Any], PublicT] | None = None,
) -> Page[PublicT]:
    """Run `stmt` ordered by id with limit/offset, and count all rows it matches.

    Rows are read as plain column mappings (no ORM objects): a page of 100 is cheap to build.
    """
    total = session.execute(stmt.with_only_columns(func.count()).order_by(None)).scalar_one()
    entity = stmt.column_descriptions[0]["entity"]
    columns = stmt.with_only_columns(*entity.__table__.columns).order_by(entity.id).limit(limit).offset(offset)
    rows = session.execute(columns).mappings().all()
    make = convert or public.model_validate
    return Page[public](items=[make(row) for row in rows], count=total, limit=limit, offset=offset)  # type: ignore[valid-type]
