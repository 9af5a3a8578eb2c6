"""What a site declares for its deployments: pool, job variables, flows' schedules."""

import shlex
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal

from medperf.settings import SiteSettings

PoolType = Literal["process", "docker", "kubernetes"]
REPO_DIR = Path(__file__).resolve().parents[1]
DEFAULT_POOL_CONCURRENCY = 2  # this machine class has 2 cores
DEFAULT_CONTINUOUS_CRON = "0 2 * * *"  # nightly, in the site's timezone
# Environment a site's worker and its flow-run processes share (fast dispatch, no telemetry).
WORKER_ENV = {
    "PREFECT_WORKER_QUERY_SECONDS": "1",
    "PREFECT_WORKER_PREFETCH_SECONDS": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
}


@dataclass(frozen=True)
class SitePlan:
    """One data site's work pool and deployments.

    `continuous_cron` (production) or `continuous_interval` (tests) schedules the continuous evaluation;
    `continuous_pool` lets it run on another pool (for example the committee's) when the site's registry
    identity cannot list the benchmark's models; by default it runs on the site's own pool.
    """

    settings: SiteSettings
    repo_dir: Path = REPO_DIR
    pool_type: PoolType = "process"
    pool_concurrency: int = DEFAULT_POOL_CONCURRENCY
    continuous_cron: str | None = DEFAULT_CONTINUOUS_CRON
    continuous_interval: timedelta | None = None
    continuous_pool: str | None = None
    continuous_paused: bool = False
    timezone: str = "UTC"
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def pool(self) -> str:
        """The site's work pool: named after the site (DatasetPublic.site)."""
        return self.settings.name

    def job_variables(self) -> dict[str, object]:
        """Env of every flow run on this site: who the site is, where its data is, which runner it uses."""
        env = {
            **WORKER_ENV,
            "MEDPERF_SITE_NAME": self.settings.name,
            "MEDPERF_SITE_DATA_ROOT": str(self.settings.data_root),
            "MEDPERF_SITE_RUNNER": self.settings.runner,
            "MEDPERF_SITE_APPROVAL_WAIT": self.settings.approval_wait,
            **self.extra_env,
        }
        variables: dict[str, object] = {"env": env}
        if self.pool_type == "process":
            variables["working_dir"] = str(self.repo_dir)
            # A run's output does not go through a pipe to the worker: a killed worker's runs would crash at
            # their next line ("aborted by Python system exit call"). They log to Prefect and the site instead.
            variables["stream_output"] = False
            # The run starts warm from the worker's fork server when it has one, as `prefect.engine` otherwise
            # (medperf.site.flow_launcher); either way without Prefect's workspace supervisor process.
            variables["command"] = f"{shlex.quote(sys.executable)} -m medperf.site.flow_launcher"
        return variables
