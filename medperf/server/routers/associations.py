"""Benchmark associations of datasets and models: request, list, approve, reject."""

from typing import Literal

from fastapi import status

from medperf.schemas import ApprovalStatus, AssociationCreate, AssociationPublic, Page
from medperf.server.deps import CurrentUser, IdFilter, Limit, Offset, SessionDep
from medperf.server.routing import GuardedRouter
from medperf.server.services import associations
from medperf.server.services.associations import AssociationFilters

router = GuardedRouter(prefix="/associations", tags=["associations"])

KindPath = Literal["datasets", "models"]


def _public(row: associations.Association) -> AssociationPublic:
    return associations.to_public(row)


@router.post("/datasets", status_code=status.HTTP_201_CREATED)
def request_dataset_association(
    payload: AssociationCreate, session: SessionDep, actor: CurrentUser
) -> AssociationPublic:
    """Ask to associate a dataset with a benchmark (dataset owner or benchmark owner)."""
    return _public(associations.request_association(session, actor, "datasets", payload))


@router.post("/models", status_code=status.HTTP_201_CREATED)
def request_model_association(payload: AssociationCreate, session: SessionDep, actor: CurrentUser) -> AssociationPublic:
    """Ask to associate a model with a benchmark (model owner or benchmark owner)."""
    return _public(associations.request_association(session, actor, "models", payload))


@router.get("/datasets")
def list_dataset_associations(
    session: SessionDep,
    actor: CurrentUser,
    benchmark_id: IdFilter = None,
    dataset_id: IdFilter = None,
    approval_status: ApprovalStatus | None = None,
    latest_only: bool = True,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[AssociationPublic]:
    """Dataset associations where the caller is a party (admin: all); by default only the latest per pair."""
    filters = AssociationFilters(benchmark_id, dataset_id, approval_status, latest_only)
    return associations.list_associations(session, actor, "datasets", filters, limit, offset)


@router.get("/models")
def list_model_associations(
    session: SessionDep,
    actor: CurrentUser,
    benchmark_id: IdFilter = None,
    model_id: IdFilter = None,
    approval_status: ApprovalStatus | None = None,
    latest_only: bool = True,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[AssociationPublic]:
    """Model associations where the caller is a party (admin: all); by default only the latest per pair."""
    filters = AssociationFilters(benchmark_id, model_id, approval_status, latest_only)
    return associations.list_associations(session, actor, "models", filters, limit, offset)


@router.post("/{kind}/{association_id}/approve")
def approve_association(
    kind: KindPath, association_id: int, session: SessionDep, actor: CurrentUser
) -> AssociationPublic:
    """Approve a pending request (the party that did not request it)."""
    return _public(associations.decide_association(session, actor, kind, association_id, approve=True))


@router.post("/{kind}/{association_id}/reject")
def reject_association(
    kind: KindPath, association_id: int, session: SessionDep, actor: CurrentUser
) -> AssociationPublic:
    """Reject a pending request (either party)."""
    return _public(associations.decide_association(session, actor, kind, association_id, approve=False))
