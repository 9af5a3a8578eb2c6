"""Fixtures of the contract suite: a project is packed as `submit-folder` packs it, fetched as a site fetches it,
and run by the site's runner (the sandbox, and docker against the real daemon with images built FROM the
local base image)."""

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import docker
import pytest

from medperf.bundle.register import container_payload
from medperf.containers import ContainerRunner, ContainerSpec, make_runner
from medperf.schemas import ContainerPublic, EntityState
from medperf.settings import SiteSettings
from medperf.site.container_fetch import container_spec
from medperf.site.container_steps import StepContext
from medperf.storage import ObjectStore
from medperf.storage.local_folder import LocalFolderStore

from ..conftest import site_settings

PROJECTS = Path(__file__).parent / "projects"
_ids = itertools.count(1)


@dataclass
class Site:
    """One data site with one runner, its object store and its folders."""

    kind: str
    settings: SiteSettings
    runner: ContainerRunner
    store: ObjectStore
    daemon: docker.DockerClient | None
    root: Path

    def register(self, folder: Path, name: str) -> ContainerPublic:
        """What the registry would hold after `container submit-folder --runner <kind>`."""
        payload = container_payload(name, folder, self.store, "docker" if self.kind == "docker" else "sandbox",
                                    site=self.settings)
        return ContainerPublic(id=next(_ids), owner_id=1, state=EntityState.OPERATION,
                               created_at=datetime.now(UTC), **payload.model_dump())

    def container(self, folder: Path, name: str) -> ContainerSpec:
        """Register a project and fetch it as this site's runner needs it."""
        return container_spec(self.register(folder, name), self.store, self.root / "cache", daemon=self.daemon)

    def step(self, spec: ContainerSpec, step: str) -> StepContext:
        """The context of one site step (its own work folder)."""
        return StepContext(self.runner, spec, self.root / "work" / step, timeout_s=300)


def write_cases(folder: Path, values: Mapping[str, object]) -> Path:
    """One <case>.txt per case holding its value."""
    folder.mkdir(parents=True, exist_ok=True)
    for case, value in values.items():
        (folder / f"{case}.txt").write_text(f"{value}\n")
    return folder


def read_cases(folder: Path) -> dict[str, str]:
    """<case>.txt files back to {case: text}."""
    return {path.stem: path.read_text().strip() for path in sorted(folder.glob("*.txt"))}


def make_site(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Site:
    """A site with the given runner (docker: the test daemon, which must be up)."""
    store = LocalFolderStore(tmp_path / "store", tmp_path / "store-cache")
    if kind == "docker":
        host = request.getfixturevalue("docker_host")
        settings = site_settings(tmp_path, "docker", host).model_copy(update={"task_timeout_seconds": 300})
        daemon = request.getfixturevalue("docker_client")
        return Site("docker", settings, make_runner(settings), store, daemon, tmp_path / "site")
    settings = site_settings(tmp_path, "sandbox").model_copy(update={"task_timeout_seconds": 300})
    return Site("sandbox", settings, make_runner(settings), store, None, tmp_path / "site")


@pytest.fixture(params=["sandbox", pytest.param("docker", marks=pytest.mark.docker)])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Site:
    """A site with each runner in turn."""
    return make_site(request.param, request, tmp_path)
