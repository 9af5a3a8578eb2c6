"""Who sees what: SQL conditions that scope every list and detail read to the caller."""

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, true
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from medperf.server.tables import (
    Benchmark,
    Dataset,
    DatasetAssociation,
    Model,
    ModelAssociation,
    Result,
    StandingConsent,
    User,
)


def _owned_benchmarks(user: User) -> Any:
    return _benchmarks_of(user.id)


def _owned_datasets(user: User) -> Any:
    return select(Dataset.id).where(col(Dataset.owner_id) == user.id)


def _owned_models(user: User) -> Any:
    return _models_of(user.id)


def _benchmarks_of(owner: Any) -> Any:
    """Ids of the benchmarks of `owner` (a user id, or a bind parameter standing for one)."""
    return select(Benchmark.id).where(Benchmark.owner_id == owner)


def _models_of(owner: Any) -> Any:
    return select(Model.id).where(Model.owner_id == owner)


def datasets_shown_to_benchmark_owner(user: User) -> Any:
    """Ids of datasets whose owner let one of the user's benchmarks see them.

    That is, the latest association row of (benchmark, dataset) is APPROVED (approved by the data owner,
    or requested by it and auto-approved), or PENDING and requested by the data owner. Nothing else: not
    a request the benchmark owner made, not after a rejection, not while a changed release policy waits
    for the data owner's approval again (that row is the benchmark owner's request).
    """
    row = aliased(DatasetAssociation)
    follower = aliased(DatasetAssociation)
    dataset = aliased(Dataset)
    return (
        select(row.dataset_id)
        .join(dataset, col(dataset.id) == row.dataset_id)
        .where(
            col(row.benchmark_id).in_(_owned_benchmarks(user)),
            ~exists().where(col(follower.previous_id) == row.id),
            or_(
                col(row.approval_status) == "APPROVED",
                and_(col(row.approval_status) == "PENDING", col(row.requested_by) == col(dataset.owner_id)),
            ),
        )
    )


def datasets_visible_to(user: User) -> ColumnElement[bool]:
    """Own datasets, and those whose owner let a benchmark of the user's see them (see above)."""
    if user.is_admin:
        return true()
    return or_(col(Dataset.owner_id) == user.id, col(Dataset.id).in_(datasets_shown_to_benchmark_owner(user)))


def dataset_associations_visible_to(user: User) -> ColumnElement[bool]:
    """Requests where the user is a party: owner of the benchmark or of the dataset."""
    if user.is_admin:
        return true()
    return or_(
        col(DatasetAssociation.benchmark_id).in_(_owned_benchmarks(user)),
        col(DatasetAssociation.dataset_id).in_(_owned_datasets(user)),
    )


def _benchmarks_joined_by_datasets(user: User) -> Any:
    """Benchmarks where the latest association request of one of the user's datasets is APPROVED."""
    latest = (
        select(func.max(DatasetAssociation.id))
        .where(col(DatasetAssociation.dataset_id).in_(_owned_datasets(user)))
        .group_by(col(DatasetAssociation.benchmark_id), col(DatasetAssociation.dataset_id))
    )
    return select(DatasetAssociation.benchmark_id).where(
        col(DatasetAssociation.id).in_(latest), col(DatasetAssociation.approval_status) == "APPROVED"
    )


def model_associations_visible_to(user: User) -> ColumnElement[bool]:
    """Requests where the user is a party (benchmark or model owner), and, for a data owner whose dataset
    takes part in the benchmark, that benchmark's model associations (its site must know what to run)."""
    if user.is_admin:
        return true()
    return or_(
        col(ModelAssociation.benchmark_id).in_(_owned_benchmarks(user)),
        col(ModelAssociation.model_id).in_(_owned_models(user)),
        col(ModelAssociation.benchmark_id).in_(_benchmarks_joined_by_datasets(user)),
    )


def results_visible_to(user: User) -> ColumnElement[bool]:
    """Results on the user's datasets, of its benchmarks, or of its models."""
    if user.is_admin:
        return true()
    return results_of(user.id)


def results_of(owner: Any) -> ColumnElement[bool]:
    """Results a non-admin user sees (see above); `owner` is its id, or a bind parameter standing for it
    in a statement built once and run for any caller."""
    return or_(
        col(Result.owner_id) == owner,
        col(Result.benchmark_id).in_(_benchmarks_of(owner)),
        col(Result.model_id).in_(_models_of(owner)),
    )


def consents_visible_to(user: User) -> ColumnElement[bool]:
    """Consents on the user's datasets or for its benchmarks."""
    if user.is_admin:
        return true()
    return or_(
        col(StandingConsent.dataset_id).in_(_owned_datasets(user)),
        col(StandingConsent.benchmark_id).in_(_owned_benchmarks(user)),
    )
