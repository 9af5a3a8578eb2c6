"""Results: created (PENDING) before the run by the data owner, finalized once, immutable after."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, and_, bindparam, literal
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from medperf.schemas import ResultCreate, ResultFinalize, ResultStatus
from medperf.server.services.associations import stands
from medperf.server.services.audit import commit_insert, commit_transition
from medperf.server.services.datasets import visible_dataset
from medperf.server.services.errors import Conflict, Forbidden, Invalid, NotFound
from medperf.server.services.lookup import MAX_ID, get_or_404, id_of
from medperf.server.services.policy_check import check_result_metrics
from medperf.server.services.rows import columns_of, detached
from medperf.server.services.visibility import results_of
from medperf.server.tables import (
    Benchmark,
    Container,
    Dataset,
    DatasetAssociation,
    Model,
    ModelAssociation,
    Result,
    User,
    utcnow,
)


def create_result(session: Session, actor: User, payload: ResultCreate) -> tuple[Result, bool]:
    """Open a PENDING result; needs APPROVED dataset and model associations (reference model exempt)."""
    opening = _lookup(session, actor, payload)
    if opening.existing is not None:
        return opening.existing, False
    _may_open(session, actor, payload, opening)
    result = Result(**payload.model_dump(), owner_id=id_of(actor))
    try:
        commit_insert(session, actor, result, "result")
    except IntegrityError:
        session.rollback()
        if payload.client_key is None:
            raise
        return create_result(session, actor, payload)  # a concurrent retry won: replay it
    return result, True


def submit_finished(session: Session, actor: User, opened: ResultCreate, final: ResultFinalize) -> tuple[Result, bool]:
    """Create a FINALIZED result in one transaction with one audit entry: a site's upload of an approved result.

    Idempotent by client_key (required): the same key with the same payload returns the same result; the
    same key with a different payload is refused (409). A PENDING result opened earlier under the key (the
    two-step path of `result create` / `result submit`) is finalized with the payload.
    """
    if opened.client_key is None:
        raise Invalid("result.client_key: required for a one-call upload; send an idempotency key")
    opening = _lookup(session, actor, opened)
    existing = opening.existing
    if existing is not None:
        if existing.status == ResultStatus.PENDING:
            return finalize_result(session, actor, id_of(existing), final), False
        if _holds(existing, final):
            return existing, False
        raise Conflict(f"client_key: result {existing.id} was already finalized with a different payload")
    dataset, benchmark = _may_open(session, actor, opened, opening)
    _check_containers(session, final)
    check_result_metrics(final.metrics, benchmark, dataset.statistics)
    result = Result(
        **opened.model_dump(),
        **final.model_dump(),
        owner_id=id_of(actor),
        status=ResultStatus.FINALIZED,
        finalized_at=utcnow(),
    )
    try:
        commit_insert(session, actor, result, "result")
    except IntegrityError:
        session.rollback()
        return submit_finished(session, actor, opened, final)  # a concurrent retry won: replay it
    return result, True


_RESULTS = columns_of(Result)
_BY_CLIENT_KEY = sa_select(*_RESULTS).where(
    _RESULTS.owner_id == bindparam("owner_id"), _RESULTS.client_key == bindparam("client_key")
)


def _by_client_key(session: Session, actor: User, payload: ResultCreate) -> Result | None:
    """The actor's result under payload's client_key (None if none); 409 if it is for another target."""
    params = {"owner_id": actor.id, "client_key": payload.client_key}
    found = session.connection().execute(_BY_CLIENT_KEY, params).mappings().first()
    if found is None:
        return None
    existing = detached(Result, found)
    _same_target(existing, payload)
    return existing


def _same_target(existing: Result, payload: ResultCreate) -> None:
    """409 when the result under the client key is for another benchmark, model or dataset than the payload."""
    for field in ("benchmark_id", "model_id", "dataset_id"):
        if getattr(existing, field) != getattr(payload, field):
            raise Conflict(f"client_key: already used for result {existing.id} with a different {field}")


def _holds(result: Result, final: ResultFinalize) -> bool:
    """Whether a finalized result holds exactly this payload (a retried upload, not a different one)."""
    return all(getattr(result, field) == value for field, value in final.model_dump().items())


_DATASETS, _BENCHMARKS, _MODELS = columns_of(Dataset), columns_of(Benchmark), columns_of(Model)


def _latest_link(table: type[DatasetAssociation | ModelAssociation], entity: str, column: str) -> Any:
    """One column of the pair's latest association row (the end of its chain), as a scalar subquery."""
    links = columns_of(table)
    return (
        sa_select(links[column])
        .where(links.benchmark_id == bindparam("benchmark_id"), links[entity] == bindparam(entity))
        .order_by(links.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def build_lookup() -> Any:
    """The one statement opening a result reads: one row of outer joins from a constant row, each by unique key.

    Core only, and split by position (`_lookup`): the ORM's first compilation of a shared statement with
    aliased() subqueries is not thread-safe (concurrent first requests got rows of another shape:
    NoSuchColumnError, MultipleResultsFound; tests/server/test_result_lookup_race.py).
    """
    return (
        sa_select(
            *_RESULTS,
            *_DATASETS,
            *_BENCHMARKS,
            *_MODELS,
            _latest_link(DatasetAssociation, "dataset_id", "approval_status"),
            _latest_link(DatasetAssociation, "dataset_id", "policy_version"),
            _latest_link(ModelAssociation, "model_id", "approval_status"),
            _latest_link(ModelAssociation, "model_id", "model_container_id"),
        )
        .select_from(sa_select(literal(1)).subquery())
        .outerjoin(
            Result.__table__,  # type: ignore[attr-defined]
            and_(_RESULTS.owner_id == bindparam("owner_id"), _RESULTS.client_key == bindparam("client_key")),
        )
        .outerjoin(Dataset.__table__, _DATASETS.id == bindparam("dataset_id"))  # type: ignore[attr-defined]
        .outerjoin(Benchmark.__table__, _BENCHMARKS.id == bindparam("benchmark_id"))  # type: ignore[attr-defined]
        .outerjoin(Model.__table__, _MODELS.id == bindparam("model_id"))  # type: ignore[attr-defined]
    )


_LOOKUP = build_lookup()


@dataclass(frozen=True)
class Opening:
    """What opening a result checks: the caller's result under the client key, the rows the payload names
    (None when missing) and (status, what it is about) of the latest dataset and model association rows."""

    existing: Result | None
    dataset: Dataset | None
    benchmark: Benchmark | None
    model: Model | None
    dataset_link: tuple[str | None, int | None]
    model_link: tuple[str | None, int | None]


def _part(row: Sequence[Any], start: int, columns: Any) -> dict[str, Any] | None:
    """The values of one table's columns in a joined row (from position `start`), or None if its id is NULL."""
    values = {column.key: row[start + index] for index, column in enumerate(columns)}
    return None if values["id"] is None else values


def read_opening(session: Session, actor: User, payload: ResultCreate, statement: Any = _LOOKUP) -> Opening | None:
    """Everything `_may_open` checks, in one round trip; None when an id is out of range (nothing can match)."""
    ids = {"dataset_id": payload.dataset_id, "benchmark_id": payload.benchmark_id, "model_id": payload.model_id}
    if not all(1 <= value <= MAX_ID for value in ids.values()):
        return None
    params = {**ids, "owner_id": actor.id, "client_key": payload.client_key}
    row = session.connection().execute(statement, params).one()
    parts, start = [], 0
    for columns in (_RESULTS, _DATASETS, _BENCHMARKS, _MODELS):
        parts.append(_part(row, start, columns))
        start += len(columns)
    existing, dataset, benchmark, model = parts
    return Opening(
        existing=None if existing is None else detached(Result, existing),
        dataset=None if dataset is None else detached(Dataset, dataset),
        benchmark=None if benchmark is None else detached(Benchmark, benchmark),
        model=None if model is None else detached(Model, model),
        dataset_link=(row[start], row[start + 1]),
        model_link=(row[start + 2], row[start + 3]),
    )


def _lookup(session: Session, actor: User, payload: ResultCreate) -> Opening:
    """`read_opening`, with the client key's result checked against the payload's target (409 if another)."""
    opening = read_opening(session, actor, payload)
    if opening is None:  # an id out of range: only the client key can still match
        existing = _by_client_key(session, actor, payload) if payload.client_key is not None else None
        return Opening(existing, None, None, None, (None, None), (None, None))
    if opening.existing is not None:
        _same_target(opening.existing, payload)
    return opening


def _may_open(session: Session, actor: User, payload: ResultCreate, opening: Opening) -> tuple[Dataset, Benchmark]:
    """The dataset and benchmark if the actor may open this result; 403/404/409 saying why otherwise."""
    dataset, benchmark, model = opening.dataset, opening.benchmark, opening.model
    if dataset is None or dataset.owner_id != actor.id:  # own datasets are always visible: no scoping query
        dataset = visible_dataset(session, actor, payload.dataset_id)
    if dataset.owner_id != actor.id:
        raise Forbidden(f"only the owner of dataset {dataset.id} may submit results on it")
    if benchmark is None:
        raise NotFound(f"benchmark_id {payload.benchmark_id} not found")
    if model is None:
        raise NotFound(f"model_id {payload.model_id} not found")
    if not stands(*opening.dataset_link, benchmark.policy_version):
        raise Conflict(
            f"dataset_id: dataset {dataset.id} has no APPROVED association with benchmark {benchmark.id} "
            f"under its current release policy (version {benchmark.policy_version})"
        )
    if payload.model_id != benchmark.reference_model_id and not stands(*opening.model_link, model.container_id):
        raise Conflict(
            f"model_id: model {payload.model_id} has no APPROVED association with benchmark {benchmark.id} "
            f"for its current container {model.container_id}"
        )
    return dataset, benchmark


def _check_containers(session: Session, final: ResultFinalize) -> None:
    """404 naming the field when a container the payload names does not exist (one query for both)."""
    named = {f: getattr(final, f) for f in ("model_container_id", "evaluator_container_id") if getattr(final, f)}
    if not named:
        return
    found = set(session.exec(select(Container.id).where(col(Container.id).in_(set(named.values())))).all())
    for field, container_id in named.items():
        if container_id not in found:
            raise NotFound(f"{field} {container_id} not found")


_OWNER_OF = {
    table: select(table.owner_id).where(table.id == bindparam("row_id")) for table in (Benchmark, Model, Dataset)
}


def sees_all_of(
    session: Session, actor: User, benchmark_id: int | None, model_id: int | None, dataset_id: int | None
) -> bool:
    """Whether a filter already limits a result list to rows the actor may see (skips the scoping joins)."""
    if actor.is_admin:
        return True
    connection = session.connection()
    for table, row_id in ((Benchmark, benchmark_id), (Model, model_id), (Dataset, dataset_id)):
        if row_id is not None:
            owner = connection.execute(_OWNER_OF[table], {"row_id": row_id}).scalar()
            if owner is not None and owner == actor.id:
                return True
    return False


_RESULT_BY_ID = select(Result).where(Result.id == bindparam("result_id"))
_VISIBLE_RESULT_BY_ID = _RESULT_BY_ID.where(results_of(bindparam("actor_id")))
_RESULT_COLUMNS = Result.__table__.columns  # type: ignore[attr-defined]
_RESULT_ROW_BY_ID = sa_select(*_RESULT_COLUMNS).where(_RESULT_COLUMNS.id == bindparam("result_id"))
_VISIBLE_RESULT_ROW_BY_ID = _RESULT_ROW_BY_ID.where(results_of(bindparam("actor_id")))
"""Built once (the caller's id is a parameter): reading one result skips statement construction and its
cache-key walk on every request."""


def visible_result(session: Session, actor: User, result_id: int) -> Result:
    """The result if the caller may see it; 404 otherwise."""
    row = None
    if 1 <= result_id <= MAX_ID:
        if actor.is_admin:
            row = session.exec(_RESULT_BY_ID, params={"result_id": result_id}).first()
        else:
            params = {"result_id": result_id, "actor_id": actor.id}
            row = session.exec(_VISIBLE_RESULT_BY_ID, params=params).first()
    if row is None:
        raise NotFound(f"result {result_id} not found")
    return row


def visible_result_row(session: Session, actor: User, result_id: int) -> RowMapping:
    """`visible_result` for a read: the row's columns (a Core query, no ORM object), or 404."""
    row = None
    if 1 <= result_id <= MAX_ID:
        connection = session.connection()
        if actor.is_admin:
            row = connection.execute(_RESULT_ROW_BY_ID, {"result_id": result_id}).mappings().first()
        else:
            params = {"result_id": result_id, "actor_id": actor.id}
            row = connection.execute(_VISIBLE_RESULT_ROW_BY_ID, params).mappings().first()
    if row is None:
        raise NotFound(f"result {result_id} not found")
    return row


def finalize_result(session: Session, actor: User, result_id: int, payload: ResultFinalize) -> Result:
    """Record the metrics once; a finalized result is immutable."""
    result = visible_result(session, actor, result_id)
    if result.owner_id != actor.id:
        raise Forbidden(f"only the data owner may finalize result {result_id}")
    if result.status == ResultStatus.FINALIZED:
        raise Conflict(f"result {result_id} is already FINALIZED and immutable")
    _check_containers(session, payload)
    benchmark = get_or_404(session, Benchmark, result.benchmark_id, "benchmark")
    dataset = get_or_404(session, Dataset, result.dataset_id, "dataset")
    check_result_metrics(payload.metrics, benchmark, dataset.statistics)
    changes = {
        "metrics": payload.metrics,
        "partial": payload.partial,
        "model_container_id": payload.model_container_id,
        "evaluator_container_id": payload.evaluator_container_id,
        "status": ResultStatus.FINALIZED,
        "finalized_at": utcnow(),
    }
    if not commit_transition(session, actor, "finalize", result, "result", {"status": ResultStatus.PENDING}, changes):
        raise Conflict(f"result {result_id} is already FINALIZED and immutable")
    return result
