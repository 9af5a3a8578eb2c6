"""Writing audit-log entries in the same transaction as the change they describe."""

import json
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert, inspect, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel

from medperf.server.services.errors import Invalid
from medperf.server.tables import AuditEntry, User, utcnow

_NEVER_AUDITED = {"token_hash"}
_INSERT_ENTRY = insert(AuditEntry.__table__)  # type: ignore[attr-defined]


def snapshot(row: SQLModel | BaseModel | None) -> dict[str, Any] | None:
    """A JSON-safe copy of a row for the audit log (secrets left out)."""
    if row is None:
        return None
    return row.model_dump(mode="json", exclude=_NEVER_AUDITED)


def record(
    session: Session,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Insert one audit entry in the session's transaction; the caller commits it together with the change.

    A Core INSERT of the row's columns (no ORM object, no unit-of-work flush): the log is append-only and
    nothing reads the entry back in the same request.
    """
    values = {
        "actor_id": actor.id if actor else None,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": before,
        "after": after,
        "at": utcnow(),
    }
    session.connection().execute(_INSERT_ENTRY, values)


def commit_change(
    session: Session,
    actor: User | None,
    action: str,
    row: SQLModel,
    entity: str,
    before: dict[str, Any] | None,
    *,
    refresh: bool = True,
) -> None:
    """Flush `row`, audit the change from `before` to its new state, commit and (unless told not to) refresh it.

    `refresh=False` is for rows whose every column is set in Python (no database-side default or
    conversion), where re-reading the row would return exactly what is already in memory.
    """
    session.add(row)
    session.flush()
    row_id = getattr(row, "id", None)
    after = snapshot(row)
    ensure_answerable(after, entity)
    record(session, actor, action, entity, row_id, before, after)
    session.commit()
    if refresh:
        session.refresh(row)


def commit_insert(session: Session, actor: User | None, row: SQLModel, entity: str) -> None:
    """Insert a new `row` by one Core INSERT .. RETURNING id (no unit-of-work flush), audit its creation, commit.

    For rows whose every column is set in Python (no database-side default or conversion): the row gets its
    new id and stays outside the session, holding exactly what was stored. Same statements as
    `commit_change(..., refresh=False)` for a new row, without the ORM's flush machinery.
    """
    table = type(row).__table__  # type: ignore[attr-defined]
    values = {key: value for key, value in row.model_dump().items() if key != "id" or value is not None}
    statement = _INSERT_RETURNING_ID.get(table)
    if statement is None:
        statement = _INSERT_RETURNING_ID[table] = insert(table).returning(table.c.id)
    row_id = session.connection().execute(statement, values).scalar_one()
    row.id = row_id
    after = snapshot(row)
    ensure_answerable(after, entity)
    record(session, actor, "create", entity, row_id, None, after)
    session.commit()


_INSERT_RETURNING_ID: dict[Any, Any] = {}


def ensure_answerable(after: dict[str, Any] | None, entity: str) -> None:
    """Refuse (422, nothing committed) a record whose JSON answer could not be written as UTF-8.

    Input is checked at the edge already; this keeps any other way in (a future field, a service that
    builds text) from committing a row that every later read of a list would fail to serialise.
    """
    try:
        json.dumps(after, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError) as err:
        raise Invalid(f"{entity}: holds text or numbers that cannot be stored ({type(err).__name__})") from None


def commit_transition(
    session: Session,
    actor: User | None,
    action: str,
    row: SQLModel,
    entity: str,
    expected: dict[str, Any],
    changes: dict[str, Any],
) -> bool:
    """Apply `changes` only if the row still holds `expected` (one conditional UPDATE), audit and commit.

    Returns False, changing nothing, when a concurrent request changed the row first: of two decisions
    on the same PENDING row exactly one succeeds, on SQLite and Postgres alike.
    """
    table = type(row)
    row_id = getattr(row, "id", None)
    before = snapshot(row)
    primary_key = inspect(table).primary_key[0]
    conditions = [primary_key == row_id, *(getattr(table, k) == v for k, v in expected.items())]
    done = session.connection().execute(update(table).where(*conditions).values(**changes))
    if done.rowcount != 1:
        session.rollback()
        return False
    for key, value in changes.items():
        set_committed_value(row, key, value)
    after = snapshot(row)
    ensure_answerable(after, entity)
    record(session, actor, action, entity, row_id, before, after)
    session.commit()
    return True
