"""SQLModel tables of the registry: one table per entity, JSON columns for free-form payloads."""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from medperf.server.timestamps import UTCDateTime


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (what every timestamp column stores)."""
    return datetime.now(UTC)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _json(nullable: bool) -> Any:
    return Field(default=None, sa_type=sa.JSON, nullable=nullable)


def _state() -> Any:
    return Field(default="DEVELOPMENT", sa_type=sa.String(16), nullable=False, index=True)


def _approval() -> Any:
    return Field(default="PENDING", sa_type=sa.String(16), nullable=False, index=True)


def _unique_where(name: str, condition: str, *columns: str) -> sa.Index:
    """A partial unique index (the same on SQLite and Postgres): `columns` are unique among rows matching."""
    where = sa.text(condition)
    return sa.Index(name, *columns, unique=True, sqlite_where=where, postgresql_where=where)


def _withdrawn() -> Any:
    """When the owner withdrew the entity (None while it is live): it stays for the audit log, off the lists."""
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


def _version() -> Any:
    return Field(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})


class User(SQLModel, table=True):
    """A person with an account; roles follow from what the user owns, plus the admin flag."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=sa.String(254), unique=True, nullable=False)
    name: str = Field(sa_type=sa.String(128), nullable=False)
    is_admin: bool = Field(default=False, nullable=False)
    created_at: datetime = _created()


class ApiToken(SQLModel, table=True):
    """An API token; only the sha256 of the clear token is stored."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, nullable=False)
    token_hash: str = Field(sa_type=sa.String(64), unique=True, nullable=False)
    revoked: bool = Field(default=False, nullable=False)
    created_at: datetime = _created()


class Container(SQLModel, table=True):
    """A MedPerf container: its parsed config, image reference and additional files."""

    __tablename__ = "containers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(128), nullable=False)
    owner_id: int = Field(foreign_key="users.id", index=True, nullable=False)
    config: dict[str, Any] = _json(nullable=False)
    parameters: dict[str, Any] | None = _json(nullable=True)
    image: str = Field(sa_type=sa.String(512), nullable=False)
    image_digest: str | None = Field(default=None, sa_type=sa.String(71), nullable=True)
    image_archive_url: str | None = Field(default=None, sa_type=sa.String(1024), nullable=True)
    image_archive_sha256: str | None = Field(default=None, sa_type=sa.String(64), nullable=True)
    additional_files_url: str | None = Field(default=None, sa_type=sa.String(1024), nullable=True)
    additional_files_sha256: str | None = Field(default=None, sa_type=sa.String(64), nullable=True)
    source_archive_url: str | None = Field(default=None, sa_type=sa.String(1024), nullable=True)
    source_archive_sha256: str | None = Field(default=None, sa_type=sa.String(64), nullable=True)
    state: str = _state()
    withdrawn_at: datetime | None = _withdrawn()
    created_at: datetime = _created()


class Model(SQLModel, table=True):
    """A model: a versioned wrapper around an inference container."""

    __tablename__ = "models"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(128), nullable=False)
    owner_id: int = Field(foreign_key="users.id", index=True, nullable=False)
    container_id: int = Field(foreign_key="containers.id", nullable=False)
    version: str = Field(sa_type=sa.String(64), nullable=False)
    state: str = _state()
    withdrawn_at: datetime | None = _withdrawn()
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Benchmark(SQLModel, table=True):
    """A benchmark: preparation container, reference model, evaluator, policies and approval."""

    __tablename__ = "benchmarks"
    __table_args__ = (
        _unique_where(
            "uq_benchmarks_one_pending_per_owner", "approval_status = 'PENDING' AND withdrawn_at IS NULL", "owner_id"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(128), nullable=False)
    description: str = Field(default="", sa_type=sa.String(4000), nullable=False)
    owner_id: int = Field(foreign_key="users.id", index=True, nullable=False)
    data_preparation_container_id: int = Field(foreign_key="containers.id", nullable=False)
    reference_model_id: int = Field(foreign_key="models.id", nullable=False)
    evaluator_container_id: int = Field(foreign_key="containers.id", nullable=False)
    demo_dataset_url: str | None = Field(default=None, sa_type=sa.String(1024), nullable=True)
    demo_dataset_sha256: str | None = Field(default=None, sa_type=sa.String(64), nullable=True)
    sanity_suite: dict[str, Any] | None = _json(nullable=True)
    release_policy: dict[str, Any] = _json(nullable=False)
    task: dict[str, Any] | None = _json(nullable=True)
    policy_version: int = _version()
    state: str = _state()
    approval_status: str = _approval()
    auto_approval_mode: str = Field(default="NEVER", sa_type=sa.String(16), nullable=False)
    auto_approval_allowlist: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    withdrawn_at: datetime | None = _withdrawn()
    created_at: datetime = _created()
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class Dataset(SQLModel, table=True):
    """A prepared dataset at a site (the site's work-pool name; never a filesystem path)."""

    __tablename__ = "datasets"
    __table_args__ = (
        sa.UniqueConstraint("owner_id", "client_key", name="uq_datasets_owner_client_key"),
        _unique_where(
            "uq_datasets_operation_prepared_hash", "state = 'OPERATION' AND withdrawn_at IS NULL", "prepared_data_hash"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(128), nullable=False)
    owner_id: int = Field(foreign_key="users.id", index=True, nullable=False)
    site: str = Field(sa_type=sa.String(63), index=True, nullable=False)
    benchmark_id: int = Field(foreign_key="benchmarks.id", index=True, nullable=False)
    data_preparation_container_id: int = Field(foreign_key="containers.id", nullable=False)
    raw_data_hash: str = Field(sa_type=sa.String(64), nullable=False)
    prepared_data_hash: str = Field(sa_type=sa.String(64), index=True, nullable=False)
    statistics: dict[str, Any] = _json(nullable=False)
    state: str = _state()
    client_key: str | None = Field(default=None, sa_type=sa.String(128), nullable=True)
    withdrawn_at: datetime | None = _withdrawn()
    created_at: datetime = _created()
    updated_at: datetime = _created()


class DatasetAssociation(SQLModel, table=True):
    """One request to associate a dataset with a benchmark (append-only; the latest row wins).

    The rows of a pair form one chain: each row names the row it follows (`previous_id`), and the unique
    indexes allow one first row per pair and one follower per row, so concurrent requests cannot fork it.
    """

    __tablename__ = "dataset_associations"
    __table_args__ = (
        sa.Index("ix_dataset_associations_pair", "benchmark_id", "dataset_id", "id"),
        _unique_where("uq_dataset_associations_first", "previous_id IS NULL", "benchmark_id", "dataset_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    benchmark_id: int = Field(foreign_key="benchmarks.id", nullable=False)
    dataset_id: int = Field(foreign_key="datasets.id", index=True, nullable=False)
    previous_id: int | None = Field(default=None, foreign_key="dataset_associations.id", unique=True, nullable=True)
    policy_version: int = Field(nullable=False, description="the benchmark's release policy version it is about")
    requested_by: int = Field(foreign_key="users.id", nullable=False)
    decided_by: int | None = Field(default=None, foreign_key="users.id", nullable=True)
    approval_status: str = _approval()
    created_at: datetime = _created()
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class ModelAssociation(SQLModel, table=True):
    """One request to associate a model with a benchmark (append-only; the latest row wins)."""

    __tablename__ = "model_associations"
    __table_args__ = (
        sa.Index("ix_model_associations_pair", "benchmark_id", "model_id", "id"),
        _unique_where("uq_model_associations_first", "previous_id IS NULL", "benchmark_id", "model_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    benchmark_id: int = Field(foreign_key="benchmarks.id", nullable=False)
    model_id: int = Field(foreign_key="models.id", index=True, nullable=False)
    previous_id: int | None = Field(default=None, foreign_key="model_associations.id", unique=True, nullable=True)
    model_container_id: int = Field(
        foreign_key="containers.id", nullable=False, description="the container it is about"
    )
    requested_by: int = Field(foreign_key="users.id", nullable=False)
    decided_by: int | None = Field(default=None, foreign_key="users.id", nullable=True)
    approval_status: str = _approval()
    created_at: datetime = _created()
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class Result(SQLModel, table=True):
    """An evaluation result: created before the run (PENDING), finalized once, immutable after."""

    __tablename__ = "results"
    __table_args__ = (
        sa.UniqueConstraint("owner_id", "client_key", name="uq_results_owner_client_key"),
        sa.Index("ix_results_benchmark_id_id", "benchmark_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    benchmark_id: int = Field(foreign_key="benchmarks.id", nullable=False)
    model_id: int = Field(foreign_key="models.id", index=True, nullable=False)
    dataset_id: int = Field(foreign_key="datasets.id", index=True, nullable=False)
    owner_id: int = Field(foreign_key="users.id", index=True, nullable=False)
    status: str = Field(default="PENDING", sa_type=sa.String(16), index=True, nullable=False)
    metrics: dict[str, Any] | None = _json(nullable=True)
    partial: bool = Field(default=False, nullable=False)
    model_container_id: int | None = Field(default=None, foreign_key="containers.id", nullable=True)
    evaluator_container_id: int | None = Field(default=None, foreign_key="containers.id", nullable=True)
    client_key: str | None = Field(default=None, sa_type=sa.String(128), nullable=True)
    created_at: datetime = _created()
    finalized_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class StandingConsent(SQLModel, table=True):
    """A data owner's standing approval of scheduled result uploads for one benchmark."""

    __tablename__ = "standing_consents"

    id: int | None = Field(default=None, primary_key=True)
    benchmark_id: int = Field(foreign_key="benchmarks.id", index=True, nullable=False)
    dataset_id: int = Field(foreign_key="datasets.id", index=True, nullable=False)
    granted_by: int = Field(foreign_key="users.id", nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked: bool = Field(default=False, nullable=False)
    created_at: datetime = _created()
    policy_version: int = _version()
    models: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)


class AuditEntry(SQLModel, table=True):
    """One state change: who did what to which entity, with the record before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id", index=True, nullable=True)
    action: str = Field(sa_type=sa.String(64), nullable=False)
    entity: str = Field(sa_type=sa.String(32), nullable=False)
    entity_id: int | None = Field(default=None, nullable=True)
    before: dict[str, Any] | None = _json(nullable=True)
    after: dict[str, Any] | None = _json(nullable=True)
    at: datetime = _created()
