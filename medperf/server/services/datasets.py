"""Datasets: idempotent registration by the data owner, owner updates, frozen in OPERATION."""

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from medperf.schemas import DatasetCreate, DatasetUpdate, EntityState
from medperf.server.services.audit import commit_change, snapshot
from medperf.server.services.errors import Conflict, Forbidden, NotFound
from medperf.server.services.lookup import MAX_ID, get_live_or_404, get_or_404, id_of, require_live
from medperf.server.services.policy_check import check_dataset_statistics
from medperf.server.services.reapproval import benchmarks_offered
from medperf.server.services.visibility import datasets_visible_to
from medperf.server.tables import Benchmark, Container, Dataset, User, utcnow


def create_dataset(session: Session, actor: User, payload: DatasetCreate) -> tuple[Dataset, bool]:
    """Register a dataset owned by the caller; returns (dataset, created). A known client_key replays."""
    if payload.client_key is not None:
        existing = session.exec(
            select(Dataset).where(Dataset.owner_id == actor.id, Dataset.client_key == payload.client_key)
        ).first()
        if existing is not None:
            _check_replay(existing, payload)
            return existing, False
    benchmark = get_live_or_404(session, Benchmark, payload.benchmark_id, "benchmark_id")
    get_live_or_404(session, Container, payload.data_preparation_container_id, "data_preparation_container_id")
    check_dataset_statistics(payload.statistics, benchmark)
    dataset = Dataset(**payload.model_dump(), owner_id=id_of(actor))
    try:
        commit_change(session, actor, "create", dataset, "dataset", None)
    except IntegrityError:
        session.rollback()
        if payload.client_key is None:
            raise
        return create_dataset(session, actor, payload)  # a concurrent retry won: replay it
    return dataset, True


def _check_replay(existing: Dataset, payload: DatasetCreate) -> None:
    for field in ("benchmark_id", "prepared_data_hash", "raw_data_hash", "site"):
        if getattr(existing, field) != getattr(payload, field):
            raise Conflict(f"client_key: already used for dataset {existing.id} with a different {field}")


def visible_dataset(session: Session, actor: User, dataset_id: int) -> Dataset:
    """The dataset if the caller may see it; 404 otherwise."""
    row = None
    if 1 <= dataset_id <= MAX_ID:
        row = session.exec(select(Dataset).where(Dataset.id == dataset_id, datasets_visible_to(actor))).first()
    if row is None:
        raise NotFound(f"dataset {dataset_id} not found")
    return row


def update_dataset(session: Session, actor: User, dataset_id: int, payload: DatasetUpdate) -> Dataset:
    """Apply the owner's changes; OPERATION datasets are frozen; prepared hashes unique in OPERATION."""
    dataset = visible_dataset(session, actor, dataset_id)
    if dataset.owner_id != actor.id:
        raise Forbidden(f"only the owner of dataset {dataset_id} may change it")
    require_live(dataset, "dataset")
    if dataset.state == EntityState.OPERATION:
        raise Conflict(f"dataset {dataset_id} is in OPERATION and frozen")
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True, exclude_none=True)
    if changes.get("state") == EntityState.OPERATION:
        twin = session.exec(
            select(Dataset.id).where(
                Dataset.prepared_data_hash == dataset.prepared_data_hash,
                Dataset.state == EntityState.OPERATION,
                col(Dataset.withdrawn_at).is_(None),
                col(Dataset.id) != dataset.id,
            )
        ).first()
        if twin is not None:
            raise Conflict(f"prepared_data_hash: dataset {twin} in OPERATION already has this prepared data")
    if "statistics" in changes:
        prepared_for = get_or_404(session, Benchmark, dataset.benchmark_id, "benchmark")
        for benchmark in [prepared_for, *benchmarks_offered(session, id_of(dataset))]:
            check_dataset_statistics(changes["statistics"], benchmark)
    before = snapshot(dataset)
    for field, value in changes.items():
        setattr(dataset, field, value)
    dataset.updated_at = utcnow()
    try:
        commit_change(session, actor, "update", dataset, "dataset", before)
    except IntegrityError:  # the partial unique index: a twin entered OPERATION at the same time
        session.rollback()
        raise Conflict("prepared_data_hash: another dataset in OPERATION has this prepared data") from None
    return dataset
