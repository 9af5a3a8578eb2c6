"""Benchmark<->dataset and benchmark<->model associations: request, auto-approval, the other party decides.

Rows are append-only: each request is a new row and the latest row of a (benchmark, entity) pair wins.
Dataset rows are about a release policy version, model rows about a container; an approval counts only
while it is about today's (see reapproval.py for the rows a change appends).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from medperf.schemas import ApprovalStatus, AssociationCreate, AssociationPublic, AutoApprovalMode, Page
from medperf.server.services.audit import commit_change, commit_transition
from medperf.server.services.errors import Conflict, Forbidden, Invalid, NotFound
from medperf.server.services.lookup import MAX_ID, get_or_404, id_of
from medperf.server.services.paging import paginate
from medperf.server.services.policy_check import check_dataset_statistics
from medperf.server.services.rows import columns_of, detached
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
    """The owner id of the dataset/model of an existing association row."""
    if kind == "models":
        return get_or_404(session, Model, entity_id, "model_id").owner_id
    return get_or_404(session, Dataset, entity_id, "dataset_id").owner_id


def _latest_of(table: type[Association], entity: str) -> Any:
    columns = columns_of(table)
    return (
        sa_select(*columns)
        .where(columns.benchmark_id == bindparam("benchmark_id"), columns[entity] == bindparam("entity_id"))
        .order_by(columns.id.desc())
        .limit(1)
    )


_LATEST = {"datasets": _latest_of(DatasetAssociation, "dataset_id"), "models": _latest_of(ModelAssociation, "model_id")}
"""Built once: every result creation runs both, and a reused statement skips construction work."""


def latest(session: Session, kind: Kind, benchmark_id: int, entity_id: int) -> Association | None:
    """The latest association row of the pair (the end of its chain), or None; detached (services/rows.py)."""
    params = {"benchmark_id": benchmark_id, "entity_id": entity_id}
    row = session.connection().execute(_LATEST[kind], params).mappings().first()
    if row is None:
        return None
    if kind == "datasets":
        return detached(DatasetAssociation, row)
    return detached(ModelAssociation, row)


def is_current(row: Association, benchmark: Benchmark, model: Model | None) -> bool:
    """Whether the row is about what the pair is today: the benchmark's release policy, the model's container."""
    if isinstance(row, DatasetAssociation):
        return row.policy_version == benchmark.policy_version
    return model is not None and row.model_container_id == model.container_id


def stands(status: str | None, about: object, today: object) -> bool:
    """Whether a pair's latest association row approves what the pair is today: `about` is what the row is
    about (a dataset row's policy version, a model row's container) and `today` the benchmark's policy version
    or the model's container now (as is_current)."""
    return status == ApprovalStatus.APPROVED and about == today


def dataset_is_approved(session: Session, benchmark: Benchmark, dataset_id: int) -> bool:
    """Whether the data owner's approval of the benchmark's current release policy stands for this dataset."""
    row = latest(session, "datasets", id_of(benchmark), dataset_id)
    return isinstance(row, DatasetAssociation) and stands(
        row.approval_status, row.policy_version, benchmark.policy_version
    )


def model_is_approved(session: Session, benchmark: Benchmark, model: Model) -> bool:
    """Whether the benchmark side's approval of the model's current container stands."""
    row = latest(session, "models", id_of(benchmark), id_of(model))
    return isinstance(row, ModelAssociation) and stands(row.approval_status, row.model_container_id, model.container_id)


def auto_approves(benchmark: Benchmark, requester: User) -> bool:
    """Whether the benchmark's policy approves a request from this user without its owner."""
    mode = benchmark.auto_approval_mode
    if mode == AutoApprovalMode.ALWAYS:
        return True
    if mode == AutoApprovalMode.ALLOWLIST:
        return requester.email.lower() in benchmark.auto_approval_allowlist
    return False


def _requestable_dataset(session: Session, actor: User, dataset_id: int) -> Dataset:
    """The caller's own dataset; 404 (as for an unknown id) unless the caller may see it, 403 if it only sees it."""
    row = session.get(Dataset, dataset_id) if 1 <= dataset_id <= MAX_ID else None
    if row is not None and row.owner_id == actor.id:
        return row
    visible = (
        row is not None
        and session.exec(select(Dataset.id).where(Dataset.id == dataset_id, datasets_visible_to(actor))).first()
    )
    if not visible:
        raise NotFound(f"dataset_id {dataset_id} not found")
    raise Forbidden(f"dataset_id: only the owner of dataset {dataset_id} may ask to associate it with a benchmark")


def request_association(session: Session, actor: User, kind: Kind, payload: AssociationCreate) -> Association:
    """A party asks to associate; the benchmark's policy (or owning both sides) may approve at once.

    Only a dataset's owner asks for a dataset association (as in MedPerf); a model association is asked
    by the model owner or the benchmark owner.
    """
    entity_id = payload.dataset_id if kind == "datasets" else payload.model_id
    other = payload.model_id if kind == "datasets" else payload.dataset_id
    field = "dataset_id" if kind == "datasets" else "model_id"
    if entity_id is None or other is not None:
        raise Invalid(f"{field}: a {kind[:-1]} association needs {field} and only {field}")
    benchmark = get_or_404(session, Benchmark, payload.benchmark_id, "benchmark_id")
    model: Model | None = None
    if kind == "datasets":
        dataset = _requestable_dataset(session, actor, entity_id)
        entity_owner = dataset.owner_id
        check_dataset_statistics(dataset.statistics, benchmark)
    else:
        model = get_or_404(session, Model, entity_id, "model_id")
        entity_owner = model.owner_id
        if actor.id not in (benchmark.owner_id, entity_owner):
            raise Forbidden("only the model owner or the benchmark owner may request this association")
    if benchmark.approval_status != ApprovalStatus.APPROVED:
        raise Conflict(f"benchmark_id: benchmark {benchmark.id} is {benchmark.approval_status}, not APPROVED")
    current = latest(session, kind, id_of(benchmark), entity_id)
    if (
        current is not None
        and current.approval_status != ApprovalStatus.REJECTED
        and is_current(current, benchmark, model)
    ):
        raise Conflict(
            f"an association of this {kind[:-1]} with benchmark {benchmark.id} is already "
            f"{current.approval_status} (association {current.id})"
        )
    row: Association = (
        new_model_row(benchmark, model, actor, current)
        if model is not None
        else new_dataset_row(benchmark, entity_id, actor, current)
    )
    if benchmark.owner_id == entity_owner or (actor.id == entity_owner and auto_approves(benchmark, actor)):
        approve_at_once(row, benchmark)
    _commit_request(session, actor, "request", row, kind)
    return row


def new_dataset_row(
    benchmark: Benchmark, dataset_id: int, actor: User, previous: Association | None
) -> DatasetAssociation:
    """A PENDING dataset row about the benchmark's current release policy, following `previous`."""
    return DatasetAssociation(
        benchmark_id=id_of(benchmark),
        dataset_id=dataset_id,
        requested_by=id_of(actor),
        previous_id=previous.id if previous is not None else None,
        policy_version=benchmark.policy_version,
    )


def new_model_row(benchmark: Benchmark, model: Model, actor: User, previous: Association | None) -> ModelAssociation:
    """A PENDING model row about the model's current container, following `previous`."""
    return ModelAssociation(
        benchmark_id=id_of(benchmark),
        model_id=id_of(model),
        requested_by=id_of(actor),
        previous_id=previous.id if previous is not None else None,
        model_container_id=model.container_id,
    )


def approve_at_once(row: Association, benchmark: Benchmark) -> None:
    row.approval_status = ApprovalStatus.APPROVED
    row.decided_by = benchmark.owner_id
    row.decided_at = utcnow()


def _commit_request(session: Session, actor: User, action: str, row: Association, kind: Kind) -> None:
    """Append the row; a concurrent request that appended to the same chain first makes this one a 409."""
    try:
        commit_change(session, actor, action, row, entity_name(kind), None)
    except IntegrityError:
        session.rollback()
        raise Conflict(
            f"another request for this {kind[:-1]} and benchmark {row.benchmark_id} was recorded at the same time"
        ) from None


def entity_name(kind: Kind) -> str:
    return "dataset_association" if kind == "datasets" else "model_association"


def decide_association(session: Session, actor: User, kind: Kind, association_id: int, approve: bool) -> Association:
    """The other party approves; either party rejects; only the latest, undecided row of a pair is decided."""
    table: type[Association] = DatasetAssociation if kind == "datasets" else ModelAssociation
    label = f"{kind[:-1]} association"
    row = get_or_404(session, table, association_id, label)
    benchmark = get_or_404(session, Benchmark, row.benchmark_id, "benchmark")
    entity_id = row.dataset_id if isinstance(row, DatasetAssociation) else row.model_id
    entity_owner = _entity_owner(session, kind, entity_id)
    if actor.id not in {benchmark.owner_id, entity_owner}:
        if actor.is_admin:
            raise Forbidden(f"only the benchmark owner or the {kind[:-1]} owner may decide {label} {association_id}")
        raise NotFound(f"{label} {association_id} not found")
    if row.approval_status != ApprovalStatus.PENDING:
        raise Conflict(f"{label} {association_id} is already {row.approval_status}")
    if approve and actor.id == row.requested_by:
        raise Forbidden(f"the requester cannot approve its own request ({label} {association_id})")
    newest = latest(session, kind, row.benchmark_id, entity_id)
    if newest is not None and newest.id != row.id:
        raise Conflict(f"{label} {association_id} was superseded by {label} {newest.id}; decide that one")
    model = session.get(Model, entity_id) if kind == "models" else None
    if approve and isinstance(row, DatasetAssociation):
        check_dataset_statistics(get_or_404(session, Dataset, row.dataset_id, "dataset").statistics, benchmark)
    if approve and not is_current(row, benchmark, model):
        raise Conflict(
            f"{label} {association_id} is about an earlier release policy or model container; "
            f"the {kind[:-1]} owner rejects it and asks again"
        )
    status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    changes = {"approval_status": status, "decided_by": actor.id, "decided_at": utcnow()}
    expected = {"approval_status": ApprovalStatus.PENDING}
    if not commit_transition(
        session, actor, "approve" if approve else "reject", row, entity_name(kind), expected, changes
    ):
        raise Conflict(f"{label} {association_id} was decided by another request at the same time")
    return row


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
