"""Where the demo keeps everything under its home folder, and the environment of each process it starts."""

from dataclasses import dataclass
from pathlib import Path

STATE_FILE = "demo.json"
MARKER = ".medperf-demo"
QUIET_PREFECT = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_WORKER_QUERY_SECONDS": "1",
    "PREFECT_WORKER_PREFETCH_SECONDS": "1",
    "PREFECT_RUNNER_POLL_FREQUENCY": "1",
}


@dataclass(frozen=True)
class SiteFolders:
    """One hospital's machine: its MedPerf home (profile, site secret, worker pid/log) and its data root."""

    name: str
    home: Path
    data_root: Path


@dataclass(frozen=True)
class DemoLayout:
    """<home>/ central/ (the committee's MEDPERF_HOME), registry/, prefect/, store/, sites/<site>/, report/."""

    root: Path

    @property
    def central(self) -> Path:
        """MEDPERF_HOME of the committee's machine: profiles of admin, benchmark owner and model owner."""
        return self.root / "central"

    @property
    def registry(self) -> Path:
        """The registry's SQLite database and log."""
        return self.root / "registry"

    @property
    def prefect(self) -> Path:
        """PREFECT_HOME of the Prefect server (SQLite) and of the demo's Prefect clients."""
        return self.root / "prefect"

    @property
    def store(self) -> Path:
        """The local-folder object store."""
        return self.root / "store"

    @property
    def report(self) -> Path:
        """report.html, leaderboard.png and leaderboard.json."""
        return self.root / "report"

    @property
    def state_file(self) -> Path:
        """URLs and pids of the running stack."""
        return self.root / STATE_FILE

    def site(self, name: str) -> SiteFolders:
        """The folders of one site."""
        return SiteFolders(name, self.root / "sites" / name / "home", self.root / "sites" / name / "data")

    def store_env(self, cache_dir: Path) -> dict[str, str]:
        """MEDPERF_STORE_* of the local-folder store, with a cache folder of the caller's own."""
        return {
            "MEDPERF_STORE_KIND": "local",
            "MEDPERF_STORE_ROOT": str(self.store),
            "MEDPERF_STORE_CACHE_DIR": str(cache_dir),
        }

    def site_env(self, name: str) -> dict[str, str]:
        """Environment of a site's worker (and so of its flow runs): its home, identity and store cache."""
        site = self.site(name)
        return {
            **QUIET_PREFECT,
            "MEDPERF_HOME": str(site.home),
            "MEDPERF_PROFILE": name,
            "MEDPERF_SITE_TASK_TIMEOUT_SECONDS": "300",
            **self.store_env(site.data_root / "store-cache"),
        }
