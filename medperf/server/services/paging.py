"""One page of a filtered query plus the total count, as the wire `Page` shape."""

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, select
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
    """Run `stmt` ordered by id with limit/offset, and count all rows it matches."""
    total = session.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
    entity = stmt.column_descriptions[0]["entity"]
    rows = session.exec(stmt.order_by(entity.id).limit(limit).offset(offset)).all()
    if convert is None:
        items = [public.model_validate(row, from_attributes=True) for row in rows]
    else:
        items = [convert(row) for row in rows]
    return Page[public](items=items, count=total, limit=limit, offset=offset)  # type: ignore[valid-type]
