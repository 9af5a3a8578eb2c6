"""Create / update / public shapes of every registry entity (the REST contract)."""

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from medperf.schemas.common import ApprovalStatus, AutoApprovalMode, EntityState, Id, ResultStatus
from medperf.schemas.task import TaskDeclaration

SHA256 = r"^[0-9a-f]{64}$"
NAME = r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,127}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- users and tokens
class UserCreate(_Strict):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=254)
    name: str = Field(min_length=1, max_length=128)
    is_admin: bool = False


class UserPublic(BaseModel):
    id: int
    email: str
    name: str
    is_admin: bool
    created_at: datetime


class TokenPublic(BaseModel):
    id: int
    user_id: int
    created_at: datetime
    revoked: bool


class TokenCreated(TokenPublic):
    """Returned once, at creation: the only time the clear token is ever shown."""

    token: str


# ---------------------------------------------------------------- containers and models
class ContainerCreate(_Strict):
    name: str = Field(pattern=NAME)
    config: dict[str, Any] = Field(description="container_config.yaml, parsed")
    parameters: dict[str, Any] | None = Field(default=None, description="parameters.yaml, parsed")
    image: str = Field(min_length=1, max_length=512, description="image reference, e.g. medperf/prep:1.0")
    image_digest: str | None = Field(default=None, pattern=r"^sha256:[0-9a-f]{64}$")
    image_archive_url: str | None = Field(default=None, max_length=1024, description="docker save archive")
    image_archive_sha256: str | None = Field(default=None, pattern=SHA256)
    additional_files_url: str | None = Field(default=None, max_length=1024)
    additional_files_sha256: str | None = Field(default=None, pattern=SHA256)
    source_archive_url: str | None = Field(
        default=None, max_length=1024, description="tar.gz of the project (/workspace) for the sandbox runner"
    )
    source_archive_sha256: str | None = Field(default=None, pattern=SHA256)


class ContainerUpdate(_Strict):
    state: EntityState | None = None
    name: str | None = Field(default=None, pattern=NAME)


class ContainerPublic(BaseModel):
    id: int
    name: str
    owner_id: int
    config: dict[str, Any]
    parameters: dict[str, Any] | None
    image: str
    image_digest: str | None
    image_archive_url: str | None
    image_archive_sha256: str | None
    additional_files_url: str | None
    additional_files_sha256: str | None
    source_archive_url: str | None
    source_archive_sha256: str | None
    state: EntityState
    withdrawn_at: datetime | None = Field(default=None, description="set when the owner withdrew it")
    created_at: datetime


class ModelCreate(_Strict):
    name: str = Field(pattern=NAME)
    container_id: Id = Field(description="a container the caller owns")
    version: str = Field(default="1", max_length=64)


class ModelUpdate(_Strict):
    state: EntityState | None = None
    container_id: Id | None = Field(
        default=None, description="a container the owner owns; a new container makes a new model version"
    )
    version: str | None = Field(
        default=None, max_length=64, description="the new version's label (default: the old one plus 1)"
    )


class ModelPublic(BaseModel):
    id: int
    name: str
    owner_id: int
    container_id: int
    version: str
    state: EntityState
    withdrawn_at: datetime | None = Field(default=None, description="set when the owner withdrew it")
    created_at: datetime
    updated_at: datetime


# ---------------------------------------------------------------- benchmarks
class ReleasePolicy(BaseModel):
    """What may leave a site for this benchmark."""

    model_config = ConfigDict(extra="forbid")

    allowed_statistics_keys: list[str] = Field(
        default_factory=lambda: ["num_cases", "label_counts", "sanity"],
        description="top-level keys of the dataset statistics payload that may be uploaded",
    )
    allowed_metric_keys: list[str] | None = Field(
        default=None, description="metric names that may be uploaded; None = all scalar metrics"
    )
    min_cell_count: int = Field(default=5, ge=1, description="k: smallest count any released cell may have")
    allow_per_case: bool = Field(default=False, description="per-case values may leave (never by default)")
    count_keys: list[str] = Field(
        default_factory=lambda: ["num_cases", "*_counts"],
        description="keys holding counts of people (fnmatch patterns on a key's name or dotted path); every "
        "number anywhere under one is a count and must be 0 or at least min_cell_count",
    )
    enum_values: dict[str, list[str]] = Field(
        default_factory=dict,
        description="dotted key path (fnmatch pattern) -> the strings it may hold; other strings may not leave",
    )
    max_keys_per_mapping: int = Field(default=256, ge=1, le=4096, description="most keys in any one mapping")
    max_depth: int = Field(default=6, ge=1, le=16, description="deepest nesting of mappings and lists")
    max_payload_bytes: int = Field(
        default=65536, ge=256, le=1048576, description="largest canonical JSON of the statistics or metrics"
    )
    max_string_length: int = Field(default=256, ge=1, le=4096, description="longest key or string value")


class BenchmarkCreate(_Strict):
    name: str = Field(pattern=NAME)
    description: str = Field(default="", max_length=4000)
    data_preparation_container_id: Id
    reference_model_id: Id
    evaluator_container_id: Id
    demo_dataset_url: str | None = Field(default=None, max_length=1024)
    demo_dataset_sha256: str | None = Field(default=None, pattern=SHA256)
    sanity_suite: dict[str, Any] | None = Field(default=None, description="GX expectation-suite JSON")
    release_policy: ReleasePolicy = Field(default_factory=ReleasePolicy)
    task: TaskDeclaration | None = Field(default=None, description="the declared task and metrics")


class BenchmarkUpdate(_Strict):
    state: EntityState | None = None
    description: str | None = Field(default=None, max_length=4000)
    sanity_suite: dict[str, Any] | None = None
    release_policy: ReleasePolicy | None = None
    task: TaskDeclaration | None = Field(default=None, description="the declared task (not in OPERATION)")


class BenchmarkPolicyUpdate(_Strict):
    auto_approval_mode: AutoApprovalMode
    auto_approval_allowlist: list[str] = Field(default_factory=list, description="emails (ALLOWLIST mode)")


class BenchmarkPublic(BaseModel):
    id: int
    name: str
    description: str
    owner_id: int
    data_preparation_container_id: int
    reference_model_id: int
    evaluator_container_id: int
    demo_dataset_url: str | None
    demo_dataset_sha256: str | None
    sanity_suite: dict[str, Any] | None
    release_policy: ReleasePolicy
    task: TaskDeclaration | None = None
    policy_version: int = Field(default=1, description="+1 at every change of the release policy")
    state: EntityState
    withdrawn_at: datetime | None = Field(default=None, description="set when the owner withdrew it")
    approval_status: ApprovalStatus
    auto_approval_mode: AutoApprovalMode
    auto_approval_allowlist: list[str]
    created_at: datetime
    approved_at: datetime | None


# ---------------------------------------------------------------- datasets
class DatasetCreate(_Strict):
    name: str = Field(pattern=NAME)
    site: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="work pool name of the data site")
    benchmark_id: Id = Field(description="benchmark whose preparation produced this dataset")
    data_preparation_container_id: Id
    raw_data_hash: str = Field(pattern=SHA256)
    prepared_data_hash: str = Field(pattern=SHA256)
    statistics: dict[str, Any] = Field(default_factory=dict)
    client_key: str | None = Field(
        default=None, max_length=128, description="idempotency key: a retry returns the same dataset"
    )


class DatasetUpdate(_Strict):
    name: str | None = Field(default=None, pattern=NAME)
    statistics: dict[str, Any] | None = None
    state: EntityState | None = None


class DatasetPublic(BaseModel):
    id: int
    name: str
    owner_id: int
    site: str
    benchmark_id: int
    data_preparation_container_id: int
    raw_data_hash: str
    prepared_data_hash: str
    statistics: dict[str, Any]
    state: EntityState
    withdrawn_at: datetime | None = Field(default=None, description="set when the owner withdrew it")
    created_at: datetime
    updated_at: datetime


# ---------------------------------------------------------------- associations
class AssociationCreate(_Strict):
    """Request to associate a dataset or a model with a benchmark (exactly one of the two ids)."""

    benchmark_id: Id
    dataset_id: Id | None = None
    model_id: Id | None = None


class AssociationPublic(BaseModel):
    id: int
    benchmark_id: int
    dataset_id: int | None
    model_id: int | None
    requested_by: int
    decided_by: int | None
    approval_status: ApprovalStatus
    created_at: datetime
    decided_at: datetime | None
    previous_id: int | None = Field(default=None, description="the row this one follows (latest wins)")
    policy_version: int | None = Field(default=None, description="dataset rows: the release policy version")
    model_container_id: int | None = Field(default=None, description="model rows: the model's container")


# ---------------------------------------------------------------- results
class ResultCreate(_Strict):
    benchmark_id: Id
    model_id: Id
    dataset_id: Id
    client_key: str | None = Field(
        default=None, max_length=128, description="idempotency key: a retry returns the same result"
    )


class ResultFinalize(_Strict):
    metrics: dict[str, Any]
    partial: bool = Field(default=False, description="the run did not complete; metrics are partial")
    evaluator_container_id: Id | None = None
    model_container_id: Id | None = None


class ResultPublic(BaseModel):
    id: int
    benchmark_id: int
    model_id: int
    dataset_id: int
    owner_id: int
    status: ResultStatus
    metrics: dict[str, Any] | None
    partial: bool
    model_container_id: int | None
    evaluator_container_id: int | None
    created_at: datetime
    finalized_at: datetime | None


# ---------------------------------------------------------------- standing consent
class StandingConsentCreate(_Strict):
    benchmark_id: Id
    dataset_id: Id
    expires_at: datetime

    @field_validator("expires_at")
    @classmethod
    def _in_utc(cls, moment: datetime) -> datetime:
        """The moment in UTC (a naive time is taken as UTC); one the database cannot store is refused."""
        try:
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        except OverflowError:
            raise ValueError("must be a time the registry can store (before the year 9999 in UTC)") from None


class ConsentModel(BaseModel):
    """A model a standing consent covers, with the container it ran when the consent was granted."""

    model_id: int
    container_id: int
    image_digest: str | None = None


class StandingConsentPublic(BaseModel):
    id: int
    benchmark_id: int
    dataset_id: int
    granted_by: int
    expires_at: datetime
    revoked: bool
    created_at: datetime
    policy_version: int = Field(default=1, description="the benchmark's release policy version it was granted under")
    models: list[ConsentModel] = Field(default_factory=list, description="the models and containers it covers")


class ConsentCheck(BaseModel):
    """Whether a standing consent lets one result of (benchmark, dataset, model) go up without a pause."""

    holds: bool
    reason: str
    consent_id: int | None
    policy_version: int = Field(description="the benchmark's release policy version now")
    model_container_id: int = Field(description="the model's container now")


# ---------------------------------------------------------------- audit
class AuditEntryPublic(BaseModel):
    id: int
    actor_id: int | None
    action: str
    entity: str
    entity_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime
