"""Count and page statements of a list filtered by bind parameters, built once per combination of filters."""

from collections.abc import Callable
from typing import Any

from fastapi import Response
from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, Select, Table, bindparam, func, select
from sqlmodel import Session

Key = tuple[bool, ...]
"""Which filters (and scoping) a request uses, one flag each."""


class PageQueries:
    """The statements of one table's list, keyed by which filters a request uses.

    `conditions(key)` builds the WHERE conditions of a key with bind parameters for every value; the count
    and page statements of a key are built on its first use and reused (no statement construction and no
    cache-key walk per request), with LIMIT and OFFSET as parameters too.
    """

    def __init__(self, table: Table, conditions: Callable[[Key], list[ColumnElement[bool]]]) -> None:
        self.table = table
        self.conditions = conditions
        self.built: dict[Key, tuple[Select[Any], Select[Any]]] = {}

    def statements(self, key: Key) -> tuple[Select[Any], Select[Any]]:
        """The (count, page) statements of this combination of filters."""
        found = self.built.get(key)
        if found is None:
            where = self.conditions(key)
            count = select(func.count()).select_from(self.table).where(*where)
            page = select(*self.table.columns).where(*where).order_by(self.table.c.id)
            found = (count, page.limit(bindparam("page_limit")).offset(bindparam("page_offset")))
            self.built[key] = found
        return found

    def answer(
        self, session: Session, key: Key, params: dict[str, Any], page: TypeAdapter[Any], limit: int, offset: int
    ) -> Response:
        """The `Page` JSON of one request: its rows ordered by id and the count of all rows matching."""
        count, rows_stmt = self.statements(key)
        connection = session.connection()
        total = connection.execute(count, params).scalar_one()
        result = connection.execute(rows_stmt, {**params, "page_limit": limit, "page_offset": offset})
        keys = tuple(result.keys())
        rows = [dict(zip(keys, row, strict=True)) for row in result.all()]
        value = page.validate_python({"items": rows, "count": int(total), "limit": limit, "offset": offset})
        return Response(page.dump_json(value), media_type="application/json")
