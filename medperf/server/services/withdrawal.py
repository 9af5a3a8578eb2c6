"""Withdrawal: the owner takes an entity off the lists; refused while something live depends on it.

A withdrawn entity keeps its row (the audit log, results and associations refer to it), is shown by a
detail read with its `withdrawn_at`, leaves every list, and takes part in nothing new. The rules:

- a container, while a live model wraps it or a live benchmark uses it as preparator or evaluator;
- a model, while it is the reference model of a live benchmark, or approved in a live OPERATION benchmark;
- a benchmark in OPERATION, while a live dataset's latest association with it is APPROVED;
- a dataset: never refused for what depends on it (a data owner may always take its data back); its
  standing consents are revoked with it, so no scheduled evaluation uploads for it again.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import exists, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, col, select

from medperf.schemas import EntityState
from medperf.server.services.audit import commit_transition, record, snapshot
from medperf.server.services.errors import Conflict, Forbidden
from medperf.server.services.lookup import id_of
from medperf.server.tables import (
    Benchmark,
    Container,
    Dataset,
    DatasetAssociation,
    Model,
    ModelAssociation,
    StandingConsent,
    User,
    utcnow,
)


def _latest_approved(association: Any, entity_column: str, entity_id: int) -> Any:
    """Benchmark ids where the latest association row of (benchmark, entity) is APPROVED."""
    follower = aliased(association)
    return select(association.benchmark_id).where(
        getattr(association, entity_column) == entity_id,
        col(association.approval_status) == "APPROVED",
        ~exists().where(col(follower.previous_id) == association.id),
    )


def _refuse_when(session: Session, dependents: Any, message: Callable[[int], str]) -> None:
    """Conflict with `message(id)` when the query finds a dependent (its first id)."""
    found = session.exec(dependents).first()
    if found is not None:
        raise Conflict(message(int(found)))


def _refuse(session: Session, label: str, entity_id: int, dependent: str, dependents: Any) -> None:
    _refuse_when(
        session,
        dependents,
        lambda found: (
            f"{label} {entity_id} is used by {dependent} {found}: withdraw that first "
            f"(`medperf {dependent} withdraw {found}`, by its owner)"
        ),
    )


def _container_dependents(session: Session, _actor: User, container: Container) -> None:
    container_id = id_of(container)
    live_model = select(Model.id).where(Model.container_id == container_id, col(Model.withdrawn_at).is_(None))
    _refuse(session, "container", container_id, "model", live_model)
    uses = or_(
        col(Benchmark.data_preparation_container_id) == container_id,
        col(Benchmark.evaluator_container_id) == container_id,
    )
    live_benchmark = select(Benchmark.id).where(uses, col(Benchmark.withdrawn_at).is_(None))
    _refuse(session, "container", container_id, "benchmark", live_benchmark)


def _model_dependents(session: Session, _actor: User, model: Model) -> None:
    model_id = id_of(model)
    live = col(Benchmark.withdrawn_at).is_(None)
    reference = select(Benchmark.id).where(Benchmark.reference_model_id == model_id, live)
    _refuse(session, "model", model_id, "benchmark", reference)
    approved_in = select(Benchmark.id).where(
        col(Benchmark.id).in_(_latest_approved(ModelAssociation, "model_id", model_id)),
        Benchmark.state == EntityState.OPERATION,
        live,
    )
    _refuse_when(
        session,
        approved_in,
        lambda found: (
            f"model {model_id} is approved in benchmark {found}, which is in OPERATION and runs it; "
            "the model can be withdrawn once that benchmark is withdrawn"
        ),
    )


def _benchmark_dependents(session: Session, _actor: User, benchmark: Benchmark) -> None:
    if benchmark.state != EntityState.OPERATION:
        return
    follower = aliased(DatasetAssociation)
    joined = (
        select(DatasetAssociation.dataset_id)
        .join(Dataset, col(Dataset.id) == DatasetAssociation.dataset_id)
        .where(
            DatasetAssociation.benchmark_id == benchmark.id,
            col(DatasetAssociation.approval_status) == "APPROVED",
            ~exists().where(col(follower.previous_id) == DatasetAssociation.id),
            col(Dataset.withdrawn_at).is_(None),
        )
    )
    _refuse_when(
        session,
        joined,
        lambda found: (
            f"benchmark {benchmark.id} is in OPERATION and dataset {found} takes part in it; "
            "it can be withdrawn once no live dataset is approved in it (their owners withdraw them)"
        ),
    )


def _revoke_consents(session: Session, actor: User, dataset: Dataset) -> None:
    """A withdrawn dataset's standing consents end with it (each revocation audited, same commit)."""
    consents = session.exec(
        select(StandingConsent).where(StandingConsent.dataset_id == dataset.id, col(StandingConsent.revoked).is_(False))
    ).all()
    for consent in consents:
        before = snapshot(consent)
        consent.revoked = True
        session.add(consent)
        record(session, actor, "revoke", "standing_consent", consent.id, before, snapshot(consent))


Withdrawable = Container | Model | Benchmark | Dataset
_RULES: dict[type[SQLModel], tuple[str, Callable[[Session, User, Any], None]]] = {
    Container: ("container", _container_dependents),
    Model: ("model", _model_dependents),
    Benchmark: ("benchmark", _benchmark_dependents),
    Dataset: ("dataset", _revoke_consents),
}


def withdraw(session: Session, actor: User, row: Withdrawable) -> Withdrawable:
    """Withdraw the caller's entity (fetched by the router), unless the rules above refuse it."""
    entity, rule = _RULES[type(row)]
    if row.owner_id != actor.id:
        raise Forbidden(f"only the owner of {entity} {row.id} may withdraw it")
    if row.withdrawn_at is not None:
        raise Conflict(f"{entity} {row.id} is already withdrawn")
    rule(session, actor, row)
    if not commit_transition(
        session, actor, "withdraw", row, entity, {"withdrawn_at": None}, {"withdrawn_at": utcnow()}
    ):
        raise Conflict(f"{entity} {row.id} was withdrawn by another request at the same time")
    return row
