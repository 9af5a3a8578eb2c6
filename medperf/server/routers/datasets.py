"""Datasets: registered by their data owner, visible to it and to the owners of related benchmarks."""

from typing import Annotated

from fastapi import Query, Response, status
from sqlmodel import col, or_, select

from medperf.schemas import DatasetCreate, DatasetPublic, DatasetUpdate, EntityState, Page
from medperf.server.deps import CurrentUser, IdFilter, Limit, Offset, SessionDep
from medperf.server.routing import GuardedRouter
from medperf.server.services import datasets, withdrawal
from medperf.server.services.paging import paginate
from medperf.server.services.visibility import datasets_visible_to
from medperf.server.tables import Dataset, DatasetAssociation

router = GuardedRouter(prefix="/datasets", tags=["datasets"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_dataset(
    payload: DatasetCreate, session: SessionDep, actor: CurrentUser, response: Response
) -> DatasetPublic:
    """Register a dataset owned by the caller; a retry with the same client_key returns it (200)."""
    row, created = datasets.create_dataset(session, actor, payload)
    if not created:
        response.status_code = status.HTTP_200_OK
    return DatasetPublic.model_validate(row, from_attributes=True)


@router.get("")
def list_datasets(
    session: SessionDep,
    actor: CurrentUser,
    owner_id: IdFilter = None,
    state: EntityState | None = None,
    benchmark_id: IdFilter = None,
    site: Annotated[str | None, Query(max_length=63)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[DatasetPublic]:
    """Live datasets the caller may see; `benchmark_id` matches datasets prepared for or associated with it."""
    stmt = select(Dataset).where(datasets_visible_to(actor), col(Dataset.withdrawn_at).is_(None))
    if owner_id is not None:
        stmt = stmt.where(Dataset.owner_id == owner_id)
    if state is not None:
        stmt = stmt.where(Dataset.state == state)
    if site is not None:
        stmt = stmt.where(Dataset.site == site)
    if benchmark_id is not None:
        associated = select(DatasetAssociation.dataset_id).where(DatasetAssociation.benchmark_id == benchmark_id)
        stmt = stmt.where(or_(Dataset.benchmark_id == benchmark_id, col(Dataset.id).in_(associated)))
    return paginate(session, stmt, DatasetPublic, limit, offset)


@router.get("/{dataset_id}")
def read_dataset(dataset_id: int, session: SessionDep, actor: CurrentUser) -> DatasetPublic:
    """One dataset, if the caller may see it."""
    return DatasetPublic.model_validate(datasets.visible_dataset(session, actor, dataset_id), from_attributes=True)


@router.patch("/{dataset_id}")
def update_dataset(dataset_id: int, payload: DatasetUpdate, session: SessionDep, actor: CurrentUser) -> DatasetPublic:
    """Change a dataset (owner only; frozen in OPERATION)."""
    row = datasets.update_dataset(session, actor, dataset_id, payload)
    return DatasetPublic.model_validate(row, from_attributes=True)


@router.post("/{dataset_id}/withdraw")
def withdraw_dataset(dataset_id: int, session: SessionDep, actor: CurrentUser) -> DatasetPublic:
    """Withdraw a dataset (owner only); its standing consents are revoked with it."""
    row = withdrawal.withdraw(session, actor, datasets.visible_dataset(session, actor, dataset_id))
    return DatasetPublic.model_validate(row, from_attributes=True)
