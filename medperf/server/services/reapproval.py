"""Approving again: a changed release policy or model container appends new PENDING association rows.

What a party approved is bound to a version (the benchmark's `policy_version`, the model's container).
When it changes, every pair whose latest row is PENDING or APPROVED gets a new PENDING row about the new
version, in the same transaction as the change, for the other party to approve; until then results and
standing consents for the pair are refused.
"""

from sqlalchemy import exists
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from medperf.schemas import ApprovalStatus
from medperf.server.services.associations import (
    Association,
    Kind,
    approve_at_once,
    entity_name,
    new_dataset_row,
    new_model_row,
)
from medperf.server.services.audit import record, snapshot
from medperf.server.services.lookup import get_or_404, id_of
from medperf.server.tables import Benchmark, Dataset, DatasetAssociation, Model, ModelAssociation, User

_OPEN = (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)
_FOLLOWER_D = aliased(DatasetAssociation)
_FOLLOWER_M = aliased(ModelAssociation)


def _open_dataset_rows(session: Session, *conditions: object) -> list[DatasetAssociation]:
    """Latest rows of their pairs (no row follows them), PENDING or APPROVED, matching `conditions`."""
    stmt = select(DatasetAssociation).where(
        col(DatasetAssociation.approval_status).in_(_OPEN),
        ~exists().where(col(_FOLLOWER_D.previous_id) == DatasetAssociation.id),
        *conditions,  # type: ignore[arg-type]
    )
    return list(session.exec(stmt).all())


def benchmarks_offered(session: Session, dataset_id: int) -> list[Benchmark]:
    """The benchmarks whose latest association row for this dataset is PENDING or APPROVED."""
    rows = _open_dataset_rows(session, DatasetAssociation.dataset_id == dataset_id)
    return [get_or_404(session, Benchmark, row.benchmark_id, "benchmark") for row in rows]


def renew_dataset_associations(session: Session, actor: User, benchmark: Benchmark) -> int:
    """After a release-policy change: a new PENDING row per open pair, asked by the benchmark owner (so only
    the data owner can approve it); rows are added to the session and committed with the change."""
    rows = _open_dataset_rows(session, DatasetAssociation.benchmark_id == id_of(benchmark))
    for previous in rows:
        dataset = session.get(Dataset, previous.dataset_id)
        row = new_dataset_row(benchmark, previous.dataset_id, actor, previous)
        if dataset is not None and dataset.owner_id == benchmark.owner_id:
            approve_at_once(row, benchmark)
        _add(session, actor, row, "datasets")
    return len(rows)


def renew_model_associations(session: Session, actor: User, model: Model) -> int:
    """After a model's container changed: a new PENDING row per open benchmark, asked by the model owner (so
    the benchmark side approves it); rows are added to the session and committed with the change."""
    stmt = select(ModelAssociation).where(
        ModelAssociation.model_id == id_of(model),
        col(ModelAssociation.approval_status).in_(_OPEN),
        ~exists().where(col(_FOLLOWER_M.previous_id) == ModelAssociation.id),
    )
    rows = list(session.exec(stmt).all())
    for previous in rows:
        benchmark = get_or_404(session, Benchmark, previous.benchmark_id, "benchmark")
        row = new_model_row(benchmark, model, actor, previous)
        if benchmark.owner_id == model.owner_id:
            approve_at_once(row, benchmark)
        _add(session, actor, row, "models")
    return len(rows)


def _add(session: Session, actor: User, row: Association, kind: Kind) -> None:
    session.add(row)
    session.flush()
    record(session, actor, "renew", entity_name(kind), row.id, None, snapshot(row))
