"""Benchmark<->dataset and benchmark<->model associations: request, auto-approval, the other party decides.

Rows are append-only: each request is a new row and the latest row of a (benchmark, entity) pair wins.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from medperf.schemas import ApprovalStatus, AssociationCreate, AssociationPublic, Page
from medperf.server.services.audit import commit_change, snapshot
from medperf.server.services.benchmarks import auto_approves
from medperf.server.services.errors import Conflict, Forbidden, Invalid, NotFound
from medperf.server.services.lookup import get_or_404, id_of
from medperf.server.services.paging import paginate
from medperf.server.services.visibility import (
    dataset_associations_visible_to,
    datasets_visible_to,
    model_associations_visible_to,
)
from medperf.server.tables import (
    Benchmark,
    Dataset,
    DatasetAssociation,
    Model,
    ModelAssociation,
    User,
    utcnow,
)

Kind = Literal["datasets", "models"]
Association = DatasetAssociation | ModelAssociation


def _entity_owner(session: Session, kind: Kind, entity_id: int) -> int:
    """The owner id of the dataset/model; a dataset the caller cannot see is not found."""
    if kind == "models":
        return get_or_404(session, Model, entity_id, "model_id").owner_id
    dataset = get_or_404(session, Dataset, entity_id, "dataset_id")
    return dataset.owner_id


_LATEST_DATASET = (
    select(DatasetAssociation)
    .where(
        DatasetAssociation.benchmark_id == bindparam("benchmark_id"),
        DatasetAssociation.dataset_id == bindparam("entity_id"),
    )
    .order_by(col(DatasetAssociation.id).desc())
    .limit(1)
)
_LATEST_MODEL = (
    select(ModelAssociation)
    .where(
        ModelAssociation.benchmark_id == bindparam("benchmark_id"), ModelAssociation.model_id == bindparam("entity_id")
    )
    .order_by(col(ModelAssociation.id).desc())
    .limit(1)
)
"""Built once: every result creation runs both, and a reused statement skips construction work."""


def latest(session: Session, kind: Kind, benchmark_id: int, entity_id: int) -> Association | None:
    """The latest association row of the pair, or None."""
    params = {"benchmark_id": benchmark_id, "entity_id": entity_id}
    if kind == "datasets":
        return session.exec(_LATEST_DATASET, params=params).first()
    return session.exec(_LATEST_MODEL, params=params).first()


def request_association(session: Session, actor: User, kind: Kind, payload: AssociationCreate) -> Association:
    """A party asks to associate; the benchmark's policy (or owning both sides) may approve at once."""
    entity_id = payload.dataset_id if kind == "datasets" else payload.model_id
    other = payload.model_id if kind == "datasets" else payload.dataset_id
    field = "dataset_id" if kind == "datasets" else "model_id"
    if entity_id is None or other is not None:
        raise Invalid(f"{field}: a {kind[:-1]} association needs {field} and only {field}")
    benchmark = get_or_404(session, Benchmark, payload.benchmark_id, "benchmark_id")
    if kind == "datasets" and actor.id != benchmark.owner_id and not actor.is_admin:
        visible = session.exec(select(Dataset.id).where(Dataset.id == entity_id, datasets_visible_to(actor)))
        if visible.first() is None:
            raise NotFound(f"dataset_id {entity_id} not found")
    entity_owner = _entity_owner(session, kind, entity_id)
    if actor.id not in (benchmark.owner_id, entity_owner):
        raise Forbidden(f"only the {kind[:-1]} owner or the benchmark owner may request this association")
    if benchmark.approval_status != ApprovalStatus.APPROVED:
        raise Conflict(f"benchmark_id: benchmark {benchmark.id} is {benchmark.approval_status}, not APPROVED")
    current = latest(session, kind, benchmark.id or 0, entity_id)
    if current is not None and current.approval_status != ApprovalStatus.REJECTED:
        raise Conflict(
            f"an association of this {kind[:-1]} with benchmark {benchmark.id} is already "
            f"{current.approval_status} (association {current.id})"
        )
    row: Association
    if kind == "datasets":
        row = DatasetAssociation(benchmark_id=id_of(benchmark), dataset_id=entity_id, requested_by=actor.id)
    else:
        row = ModelAssociation(benchmark_id=id_of(benchmark), model_id=entity_id, requested_by=actor.id)
    both_sides = benchmark.owner_id == entity_owner
    if both_sides or (actor.id == entity_owner and auto_approves(benchmark, actor)):
        row.approval_status = ApprovalStatus.APPROVED
        row.decided_by = benchmark.owner_id
        row.decided_at = utcnow()
    commit_change(session, actor, "request", row, _entity_name(kind), None)
    return row


def _entity_name(kind: Kind) -> str:
    return "dataset_association" if kind == "datasets" else "model_association"


def decide_association(session: Session, actor: User, kind: Kind, association_id: int, approve: bool) -> Association:
    """The other party approves; either party rejects; a decided request cannot be decided again."""
    table: type[Association] = DatasetAssociation if kind == "datasets" else ModelAssociation
    label = f"{kind[:-1]} association"
    row = get_or_404(session, table, association_id, label)
    benchmark = get_or_404(session, Benchmark, row.benchmark_id, "benchmark")
    entity_id = row.dataset_id if isinstance(row, DatasetAssociation) else row.model_id
    entity_owner = _entity_owner(session, kind, entity_id)
    parties = {benchmark.owner_id, entity_owner}
    if actor.id not in parties:
        if actor.is_admin:
            raise Forbidden(f"only the benchmark owner or the {kind[:-1]} owner may decide {label} {association_id}")
        raise NotFound(f"{label} {association_id} not found")
    if row.approval_status != ApprovalStatus.PENDING:
        raise Conflict(f"{label} {association_id} is already {row.approval_status}")
    if approve and actor.id == row.requested_by:
        raise Forbidden(f"the requester cannot approve its own request ({label} {association_id})")
    before = snapshot(row)
    row.approval_status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    row.decided_by = actor.id
    row.decided_at = utcnow()
    commit_change(session, actor, "approve" if approve else "reject", row, _entity_name(kind), before)
    return row


def is_approved(session: Session, kind: Kind, benchmark_id: int, entity_id: int) -> bool:
    """Whether the latest association of the pair is APPROVED."""
    row = latest(session, kind, benchmark_id, entity_id)
    return row is not None and row.approval_status == ApprovalStatus.APPROVED


@dataclass(frozen=True)
class AssociationFilters:
    """Filters of an association list; `entity_id` is the dataset or model id."""

    benchmark_id: int | None = None
    entity_id: int | None = None
    approval_status: ApprovalStatus | None = None
    latest_only: bool = True


def list_associations(
    session: Session,
    actor: User,
    kind: Kind,
    filters: AssociationFilters,
    limit: int,
    offset: int,
) -> Page[AssociationPublic]:
    """The caller's association rows (parties see theirs; admin all), filtered and paginated."""
    table: type[Association] = DatasetAssociation if kind == "datasets" else ModelAssociation
    entity_col = DatasetAssociation.dataset_id if kind == "datasets" else ModelAssociation.model_id
    visible = dataset_associations_visible_to if kind == "datasets" else model_associations_visible_to
    stmt = select(table).where(visible(actor))
    if filters.latest_only:
        newest = select(func.max(col(table.id))).group_by(col(table.benchmark_id), col(entity_col))
        stmt = stmt.where(col(table.id).in_(newest))
    if filters.benchmark_id is not None:
        stmt = stmt.where(table.benchmark_id == filters.benchmark_id)
    if filters.entity_id is not None:
        stmt = stmt.where(entity_col == filters.entity_id)
    if filters.approval_status is not None:
        stmt = stmt.where(table.approval_status == filters.approval_status)
    return paginate(session, stmt, AssociationPublic, limit, offset, convert=to_public)


def to_public(row: Association | Mapping[str, Any]) -> AssociationPublic:
    """The wire shape of either kind of association (the other kind's id is None)."""
    data = dict(row) if isinstance(row, Mapping) else row.model_dump()
    data.setdefault("dataset_id", None)
    data.setdefault("model_id", None)
    return AssociationPublic.model_validate(data)
