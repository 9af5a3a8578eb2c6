"""Containers: public metadata; registered by any user, changed by their owner."""

from fastapi import status
from sqlmodel import col, select

from medperf.schemas import ContainerCreate, ContainerPublic, ContainerUpdate, EntityState, Page
from medperf.server.deps import CurrentUser, IdFilter, Limit, Offset, SessionDep
from medperf.server.routing import GuardedRouter
from medperf.server.services import containers, withdrawal
from medperf.server.services.lookup import get_or_404
from medperf.server.services.paging import paginate
from medperf.server.tables import Container

router = GuardedRouter(prefix="/containers", tags=["containers"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_container(payload: ContainerCreate, session: SessionDep, actor: CurrentUser) -> ContainerPublic:
    """Register a container; its config must be a valid container_config."""
    row = containers.create_container(session, actor, payload)
    return ContainerPublic.model_validate(row, from_attributes=True)


@router.get("")
def list_containers(
    session: SessionDep,
    _actor: CurrentUser,
    owner_id: IdFilter = None,
    state: EntityState | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[ContainerPublic]:
    """All live (not withdrawn) containers, optionally of one owner or in one state."""
    stmt = select(Container).where(col(Container.withdrawn_at).is_(None))
    if owner_id is not None:
        stmt = stmt.where(Container.owner_id == owner_id)
    if state is not None:
        stmt = stmt.where(Container.state == state)
    return paginate(session, stmt, ContainerPublic, limit, offset)


@router.get("/{container_id}")
def read_container(container_id: int, session: SessionDep, _actor: CurrentUser) -> ContainerPublic:
    """One container (a withdrawn one too: its `withdrawn_at` says so)."""
    row = get_or_404(session, Container, container_id, "container")
    return ContainerPublic.model_validate(row, from_attributes=True)


@router.patch("/{container_id}")
def update_container(
    container_id: int, payload: ContainerUpdate, session: SessionDep, actor: CurrentUser
) -> ContainerPublic:
    """Change a container (owner only; frozen in OPERATION)."""
    row = containers.update_container(session, actor, container_id, payload)
    return ContainerPublic.model_validate(row, from_attributes=True)


@router.post("/{container_id}/withdraw")
def withdraw_container(container_id: int, session: SessionDep, actor: CurrentUser) -> ContainerPublic:
    """Withdraw a container (owner only; refused while a live model or benchmark uses it)."""
    row = withdrawal.withdraw(session, actor, get_or_404(session, Container, container_id, "container"))
    return ContainerPublic.model_validate(row, from_attributes=True)
