"""Who sees what: SQL conditions that scope every list and detail read to the caller."""

from typing import Any

from sqlalchemy import ColumnElement, func, or_, true
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
    return select(Benchmark.id).where(Benchmark.owner_id == user.id)


def _owned_datasets(user: User) -> Any:
    return select(Dataset.id).where(col(Dataset.owner_id) == user.id)


def _owned_models(user: User) -> Any:
    return select(Model.id).where(Model.owner_id == user.id)


def datasets_visible_to(user: User) -> ColumnElement[bool]:
    """Own datasets, and datasets associated with (or prepared for) a benchmark the user owns."""
    if user.is_admin:
        return true()
    associated = select(DatasetAssociation.dataset_id).where(
        col(DatasetAssociation.benchmark_id).in_(_owned_benchmarks(user))
    )
    return or_(
        col(Dataset.owner_id) == user.id,
        col(Dataset.benchmark_id).in_(_owned_benchmarks(user)),
        col(Dataset.id).in_(associated),
    )


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
    return or_(
        col(Result.owner_id) == user.id,
        col(Result.benchmark_id).in_(_owned_benchmarks(user)),
        col(Result.model_id).in_(_owned_models(user)),
    )


def consents_visible_to(user: User) -> ColumnElement[bool]:
    """Consents on the user's datasets or for its benchmarks."""
    if user.is_admin:
        return true()
    return or_(
        col(StandingConsent.dataset_id).in_(_owned_datasets(user)),
        col(StandingConsent.benchmark_id).in_(_owned_benchmarks(user)),
    )
