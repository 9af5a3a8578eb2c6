"""Models: registration around an existing container, owner updates, promotion to OPERATION."""

from typing import Any

from sqlmodel import Session

from medperf.schemas import EntityState, ModelCreate, ModelUpdate
from medperf.server.services.audit import commit_change, snapshot
from medperf.server.services.errors import Conflict, Forbidden
from medperf.server.services.lookup import get_or_404, id_of
from medperf.server.tables import Container, Model, User, utcnow


def create_model(session: Session, actor: User, payload: ModelCreate) -> Model:
    """Register a model owned by the caller; its container must exist."""
    get_or_404(session, Container, payload.container_id, "container_id")
    model = Model(**payload.model_dump(), owner_id=id_of(actor))
    commit_change(session, actor, "create", model, "model", None)
    return model


def update_model(session: Session, actor: User, model_id: int, payload: ModelUpdate) -> Model:
    """Apply the owner's changes: a new container needs a new version; OPERATION needs its container there."""
    model = get_or_404(session, Model, model_id, "model")
    if model.owner_id != actor.id:
        raise Forbidden(f"only the owner of model {model_id} may change it")
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True, exclude_none=True)
    if model.state == EntityState.OPERATION and changes.get("state") == EntityState.DEVELOPMENT:
        raise Conflict(f"state: model {model_id} is in OPERATION and cannot go back to DEVELOPMENT")
    new_container = changes.get("container_id")
    if new_container is not None and new_container != model.container_id:
        get_or_404(session, Container, new_container, "container_id")
        if changes.get("version") in (None, model.version):
            raise Conflict("version: a new container_id needs a new version")
    container = session.get(Container, changes.get("container_id", model.container_id))
    target_state = changes.get("state", model.state)
    if target_state == EntityState.OPERATION and container is not None and (container.state != EntityState.OPERATION):
        raise Conflict(f"state: model {model_id} may enter OPERATION only once its container is in OPERATION")
    before = snapshot(model)
    for field, value in changes.items():
        setattr(model, field, value)
    model.updated_at = utcnow()
    commit_change(session, actor, "update", model, "model", before)
    return model
