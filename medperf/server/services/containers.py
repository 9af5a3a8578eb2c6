"""Containers: registration with a validated config, updates by the owner, frozen in OPERATION."""

from typing import Any

from sqlmodel import Session

from medperf.schemas import ContainerCreate, ContainerUpdate, EntityState
from medperf.server.services.audit import commit_change, snapshot
from medperf.server.services.config_check import check_container_config
from medperf.server.services.errors import Conflict, Forbidden
from medperf.server.services.lookup import get_or_404, id_of, require_live
from medperf.server.tables import Container, User


def create_container(session: Session, actor: User, payload: ContainerCreate) -> Container:
    """Register a container owned by the caller, after validating its container_config."""
    check_container_config(payload.config)
    container = Container(**payload.model_dump(), owner_id=id_of(actor))
    commit_change(session, actor, "create", container, "container", None)
    return container


def update_container(session: Session, actor: User, container_id: int, payload: ContainerUpdate) -> Container:
    """Apply the owner's changes; a container in OPERATION is frozen."""
    container = get_or_404(session, Container, container_id, "container")
    if container.owner_id != actor.id:
        raise Forbidden(f"only the owner of container {container_id} may change it")
    require_live(container, "container")
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True, exclude_none=True)
    if container.state == EntityState.OPERATION:
        raise Conflict(f"container {container_id} is in OPERATION and frozen")
    before = snapshot(container)
    for field, value in changes.items():
        setattr(container, field, value)
    commit_change(session, actor, "update", container, "container", before)
    return container
