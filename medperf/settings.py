"""Typed settings for the server, the client and a data site, read from MEDPERF_* environment variables."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """The MedPerf home folder (profiles, site secrets, caches): $MEDPERF_HOME or ~/.medperf."""
    import os

    return Path(os.environ.get("MEDPERF_HOME", str(Path.home() / ".medperf")))


class ServerSettings(BaseSettings):
    """Settings of the registry server."""

    model_config = SettingsConfigDict(env_prefix="MEDPERF_SERVER_")

    database_url: str = Field(default_factory=lambda: f"sqlite:///{default_home() / 'registry.db'}")
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, description="larger request bodies get 413")
    max_json_depth: int = Field(default=32, ge=2, le=128, description="deepest nesting of a JSON body")
    max_json_items: int = Field(default=50_000, ge=100, description="most keys and list items in a JSON body")
    telemetry: bool = Field(
        default=False,
        description="FastAPI's native OpenTelemetry spans, metrics and logs per request (for a site that runs an "
        "OpenTelemetry SDK; off by default: without one they go nowhere and cost CPU on every request)",
    )


class ObjectStoreSettings(BaseSettings):
    """Where artifacts (container archives, additional files, demo data) live: a folder or S3."""

    model_config = SettingsConfigDict(env_prefix="MEDPERF_STORE_")

    kind: Literal["local", "s3"] = "local"
    root: Path = Field(default_factory=lambda: default_home() / "store")
    endpoint: str = "127.0.0.1:9000"
    access_key: str = ""
    secret_key: str = ""
    bucket: str = "medperf"
    secure: bool = False
    cache_dir: Path = Field(default_factory=lambda: default_home() / "cache")


class SiteSettings(BaseSettings):
    """Settings of one data site (its machine, its runner, its limits)."""

    model_config = SettingsConfigDict(env_prefix="MEDPERF_SITE_")

    name: str = "local"
    data_root: Path = Field(default_factory=lambda: default_home() / "sites" / "local")
    runner: Literal["docker", "sandbox"] = "sandbox"
    allow_unisolated: bool = False
    docker_host: str | None = None
    task_timeout_seconds: int = 3600
    memory_limit_mb: int = 4096
    cpu_limit: float = 2.0
    pids_limit: int = 512
    gpus: str | None = None
    env_cache: Path = Field(
        default_factory=lambda data: data["data_root"] / "cache" / "envs",
        description="where the sandbox keeps the containers' own Python environments (one per requirement set; "
        "default: <data_root>/cache/envs)",
    )
    batch_parallelism: int | None = Field(
        default=None,
        ge=1,
        description="how many pairs of one campaign run (evaluate_batch) this site evaluates at once, each with "
        "the limits above; default: the concurrency limit of the run's work pool (1 outside a pool), cut to as "
        "many containers as fit the memory available when the run starts, at memory_limit_mb each",
    )
    approval_wait: Literal["suspend", "pause"] = Field(
        default="suspend",
        description="how a deployment run waits for the data owner: 'suspend' frees its process (waits of "
        "days; the run restarts after the answer and reuses its cached steps), 'pause' keeps the process "
        "and polls (faster when someone answers within minutes, e.g. a staffed site or the demo)",
    )
