"""Models: registration around the owner's container, owner updates, new versions, promotion to OPERATION."""

import re
from typing import Any

from sqlmodel import Session

from medperf.schemas import EntityState, ModelCreate, ModelUpdate
from medperf.server.services.audit import commit_change, snapshot
from medperf.server.services.errors import Conflict, Forbidden
from medperf.server.services.lookup import get_live_or_404, get_or_404, id_of, require_live
from medperf.server.services.reapproval import renew_model_associations
from medperf.server.tables import Container, Model, User, utcnow

MAX_VERSION_LENGTH = 64


def _own_container(session: Session, owner: User, container_id: int) -> Container:
    """The container, if `owner` registered it: a model runs only code its owner answers for."""
    container = get_live_or_404(session, Container, container_id, "container_id")
    if container.owner_id != owner.id:
        raise Forbidden(f"container_id: container {container_id} belongs to another user; wrap a container you own")
    return container


def next_version(version: str) -> str:
    """The version after `version`: its trailing number plus 1 ("1" -> "2", "v1.9" -> "v1.10"), else "-2"."""
    match = re.search(r"(\d+)$", version)
    if match is None:
        return f"{version}-2"
    return version[: match.start()] + str(int(match.group(1)) + 1)


def create_model(session: Session, actor: User, payload: ModelCreate) -> Model:
    """Register a model owned by the caller around one of the caller's containers."""
    _own_container(session, actor, payload.container_id)
    model = Model(**payload.model_dump(), owner_id=id_of(actor))
    commit_change(session, actor, "create", model, "model", None)
    return model


def update_model(session: Session, actor: User, model_id: int, payload: ModelUpdate) -> Model:
    """Apply the owner's changes; a new container is a new model version that the benchmarks approve again.

    The version label goes up by one unless the owner gives a new one; every benchmark association of
    the model that is PENDING or APPROVED gets a new PENDING row about the new container.
    """
    model = get_or_404(session, Model, model_id, "model")
    if model.owner_id != actor.id:
        raise Forbidden(f"only the owner of model {model_id} may change it")
    require_live(model, "model")
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True, exclude_none=True)
    if model.state == EntityState.OPERATION and changes.get("state") == EntityState.DEVELOPMENT:
        raise Conflict(f"state: model {model_id} is in OPERATION and cannot go back to DEVELOPMENT")
    new_container: int | None = changes.get("container_id")
    container_changes = new_container is not None and new_container != model.container_id
    if new_container is not None and container_changes:
        _own_container(session, actor, new_container)
        if changes.get("version") == model.version:
            raise Conflict("version: a new container_id needs a new version")
        changes.setdefault("version", next_version(model.version))
        if len(changes["version"]) > MAX_VERSION_LENGTH:
            raise Conflict(f"version: give the new version explicitly (at most {MAX_VERSION_LENGTH} characters)")
    container = session.get(Container, changes.get("container_id", model.container_id))
    target_state = changes.get("state", model.state)
    if target_state == EntityState.OPERATION and container is not None and (container.state != EntityState.OPERATION):
        raise Conflict(f"state: model {model_id} may enter OPERATION only once its container is in OPERATION")
    before = snapshot(model)
    for field, value in changes.items():
        setattr(model, field, value)
    model.updated_at = utcnow()
    if container_changes:
        session.add(model)
        renew_model_associations(session, actor, model)
    commit_change(session, actor, "update", model, "model", before)
    return model
