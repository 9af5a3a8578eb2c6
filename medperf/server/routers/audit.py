"""The audit log: the admin reads all entries, a user the entries where it is the actor."""

from typing import Annotated

from fastapi import Query
from sqlmodel import select

from medperf.schemas import AuditEntryPublic, Page
from medperf.server.deps import CurrentUser, IdFilter, Limit, Offset, SessionDep
from medperf.server.routing import GuardedRouter
from medperf.server.services.paging import paginate
from medperf.server.tables import AuditEntry

router = GuardedRouter(prefix="/audit", tags=["audit"])


@router.get("")
def list_audit(
    session: SessionDep,
    actor: CurrentUser,
    entity: Annotated[str | None, Query(max_length=32)] = None,
    entity_id: IdFilter = None,
    actor_id: IdFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[AuditEntryPublic]:
    """Audit entries, oldest first, filtered by entity, entity id or actor."""
    stmt = select(AuditEntry)
    if not actor.is_admin:
        stmt = stmt.where(AuditEntry.actor_id == actor.id)
    if entity is not None:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    return paginate(session, stmt, AuditEntryPublic, limit, offset)
