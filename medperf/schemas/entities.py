"""Create / update / public shapes of every registry entity (the REST contract)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from medperf.schemas.common import ApprovalStatus, AutoApprovalMode, EntityState, ResultStatus

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
    created_at: datetime


class ModelCreate(_Strict):
    name: str = Field(pattern=NAME)
    container_id: int
    version: str = Field(default="1", max_length=64)


class ModelUpdate(_Strict):
    state: EntityState | None = None
    container_id: int | None = Field(default=None, description="a new version of the model's container")
    version: str | None = Field(default=None, max_length=64)


class ModelPublic(BaseModel):
    id: int
    name: str
    owner_id: int
    container_id: int
    version: str
    state: EntityState
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


class BenchmarkCreate(_Strict):
    name: str = Field(pattern=NAME)
    description: str = Field(default="", max_length=4000)
    data_preparation_container_id: int
    reference_model_id: int
    evaluator_container_id: int
    demo_dataset_url: str | None = Field(default=None, max_length=1024)
    demo_dataset_sha256: str | None = Field(default=None, pattern=SHA256)
    sanity_suite: dict[str, Any] | None = Field(default=None, description="GX expectation-suite JSON")
    release_policy: ReleasePolicy = Field(default_factory=ReleasePolicy)


class BenchmarkUpdate(_Strict):
    state: EntityState | None = None
    description: str | None = Field(default=None, max_length=4000)
    sanity_suite: dict[str, Any] | None = None
    release_policy: ReleasePolicy | None = None


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
    state: EntityState
    approval_status: ApprovalStatus
    auto_approval_mode: AutoApprovalMode
    auto_approval_allowlist: list[str]
    created_at: datetime
    approved_at: datetime | None


# ---------------------------------------------------------------- datasets
class DatasetCreate(_Strict):
    name: str = Field(pattern=NAME)
    site: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="work pool name of the data site")
    benchmark_id: int = Field(description="benchmark whose preparation produced this dataset")
    data_preparation_container_id: int
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
    created_at: datetime
    updated_at: datetime


# ---------------------------------------------------------------- associations
class AssociationCreate(_Strict):
    """Request to associate a dataset or a model with a benchmark (exactly one of the two ids)."""

    benchmark_id: int
    dataset_id: int | None = None
    model_id: int | None = None


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


# ---------------------------------------------------------------- results
class ResultCreate(_Strict):
    benchmark_id: int
    model_id: int
    dataset_id: int
    client_key: str | None = Field(
        default=None, max_length=128, description="idempotency key: a retry returns the same result"
    )


class ResultFinalize(_Strict):
    metrics: dict[str, Any]
    partial: bool = Field(default=False, description="the run did not complete; metrics are partial")
    evaluator_container_id: int | None = None
    model_container_id: int | None = None


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
    benchmark_id: int
    dataset_id: int
    expires_at: datetime


class StandingConsentPublic(BaseModel):
    id: int
    benchmark_id: int
    dataset_id: int
    granted_by: int
    expires_at: datetime
    revoked: bool
    created_at: datetime


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
