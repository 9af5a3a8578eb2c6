"""Models: public metadata; registered by any user, changed by their owner."""

from fastapi import status
from sqlmodel import col, select

from medperf.schemas import EntityState, ModelCreate, ModelPublic, ModelUpdate, Page
from medperf.server.deps import CurrentUser, IdFilter, Limit, Offset, SessionDep
from medperf.server.routing import GuardedRouter
from medperf.server.services import models, withdrawal
from medperf.server.services.lookup import get_or_404
from medperf.server.services.paging import paginate
from medperf.server.tables import Model

router = GuardedRouter(prefix="/models", tags=["models"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_model(payload: ModelCreate, session: SessionDep, actor: CurrentUser) -> ModelPublic:
    """Register a model around an existing container."""
    return ModelPublic.model_validate(models.create_model(session, actor, payload), from_attributes=True)


@router.get("")
def list_models(
    session: SessionDep,
    _actor: CurrentUser,
    owner_id: IdFilter = None,
    state: EntityState | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[ModelPublic]:
    """All live (not withdrawn) models, optionally of one owner or in one state."""
    stmt = select(Model).where(col(Model.withdrawn_at).is_(None))
    if owner_id is not None:
        stmt = stmt.where(Model.owner_id == owner_id)
    if state is not None:
        stmt = stmt.where(Model.state == state)
    return paginate(session, stmt, ModelPublic, limit, offset)


@router.get("/{model_id}")
def read_model(model_id: int, session: SessionDep, _actor: CurrentUser) -> ModelPublic:
    """One model (a withdrawn one too: its `withdrawn_at` says so)."""
    return ModelPublic.model_validate(get_or_404(session, Model, model_id, "model"), from_attributes=True)


@router.patch("/{model_id}")
def update_model(model_id: int, payload: ModelUpdate, session: SessionDep, actor: CurrentUser) -> ModelPublic:
    """Change a model (owner only; a new container needs a new version)."""
    row = models.update_model(session, actor, model_id, payload)
    return ModelPublic.model_validate(row, from_attributes=True)


@router.post("/{model_id}/withdraw")
def withdraw_model(model_id: int, session: SessionDep, actor: CurrentUser) -> ModelPublic:
    """Withdraw a model (owner only; refused while a live benchmark references it or runs it in OPERATION)."""
    row = withdrawal.withdraw(session, actor, get_or_404(session, Model, model_id, "model"))
    return ModelPublic.model_validate(row, from_attributes=True)
