"""What opening a result needs, read in one statement: the caller's result under the client key, the dataset,
benchmark and model it names, and the latest association rows of the dataset and of the model with the benchmark."""

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, literal, true
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from medperf.schemas import ResultCreate
from medperf.server.services.lookup import MAX_ID
from medperf.server.tables import Benchmark, Dataset, DatasetAssociation, Model, ModelAssociation, Result, User


@dataclass(frozen=True)
class Targets:
    """The rows a result names (None when missing), and the caller's result under its client key, if any."""

    existing: Result | None
    dataset: Dataset | None
    benchmark: Benchmark | None
    model: Model | None
    dataset_link: DatasetAssociation | None
    model_link: ModelAssociation | None


_DATASET_LINK = (
    select(DatasetAssociation)
    .where(
        DatasetAssociation.benchmark_id == bindparam("benchmark_id"),
        DatasetAssociation.dataset_id == bindparam("dataset_id"),
    )
    .order_by(col(DatasetAssociation.id).desc())
    .limit(1)
    .subquery("dataset_link")
)
_MODEL_LINK = (
    select(ModelAssociation)
    .where(
        ModelAssociation.benchmark_id == bindparam("benchmark_id"),
        ModelAssociation.model_id == bindparam("model_id"),
    )
    .order_by(col(ModelAssociation.id).desc())
    .limit(1)
    .subquery("model_link")
)
_DatasetLink = aliased(DatasetAssociation, _DATASET_LINK)
_ModelLink = aliased(ModelAssociation, _MODEL_LINK)
_LOOKUP = (
    sa_select(Result, Dataset, Benchmark, Model, _DatasetLink, _ModelLink)
    .select_from(sa_select(literal(1)).subquery())
    .outerjoin(Result, and_(col(Result.owner_id) == bindparam("owner_id"), col(Result.client_key) == bindparam("key")))
    .outerjoin(Dataset, col(Dataset.id) == bindparam("dataset_id"))
    .outerjoin(Benchmark, col(Benchmark.id) == bindparam("benchmark_id"))
    .outerjoin(Model, col(Model.id) == bindparam("model_id"))
    .outerjoin(_DatasetLink, true())
    .outerjoin(_ModelLink, true())
)
"""Outer joins from one row, each by primary key, unique key or latest id of the pair: exactly one row."""


def lookup(session: Session, actor: User, payload: ResultCreate) -> Targets | None:
    """The targets of the payload (one round trip instead of six), or None if an id is out of range."""
    ids = {"dataset_id": payload.dataset_id, "benchmark_id": payload.benchmark_id, "model_id": payload.model_id}
    if not all(1 <= value <= MAX_ID for value in ids.values()):
        return None
    row = session.execute(_LOOKUP, {**ids, "owner_id": actor.id, "key": payload.client_key}).one()
    return Targets(*row)
