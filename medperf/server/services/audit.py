"""Writing audit-log entries in the same transaction as the change they describe."""

from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, SQLModel

from medperf.server.tables import AuditEntry, User

_NEVER_AUDITED = {"token_hash"}


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
    """Add one audit entry to the session; the caller commits it together with the change."""
    session.add(
        AuditEntry(
            actor_id=actor.id if actor else None,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
        )
    )


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
    record(session, actor, action, entity, row_id, before, snapshot(row))
    session.commit()
    if refresh:
        session.refresh(row)
