"""The flow and browser tests' session services: ONE Prefect server (with its UI), the registry's users, site-a.

Loaded for the whole run by tests/conftest.py (pytest_plugins), so tests/flows and tests/ui share one instance of
each on a worker. Each had its own (a Prefect server and a registry of the browser tests' own): both set
PREFECT_API_URL for the session and served site-a, and on one worker the flow tests' runs went to the browser
tests' site when those ran first.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client

from medperf.cli.local_server import LocalRegistry
from medperf.client import RegistryClient
from medperf.profiles import Profile, ProfileStore
from medperf.schemas import UserCreate
from medperf.server.admin import create_admin
from medperf.settings import ObjectStoreSettings
from medperf.storage import ObjectStore, make_store
from support.modules import load_module
from support.scoped_env import scoped_env

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "tests" / "flows"
sys.path.insert(0, str(FLOWS))  # flow_world, site_flows, flow_harness: the flow tests' helpers
from flow_harness import DEADLINE_S  # noqa: E402
from flow_world import World, make_benchmark, write_raw_data  # noqa: E402
from site_flows import SiteWorld  # noqa: E402


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[Any]:
    """A real `prefect server start` with its UI, as an operator opens it (PREFECT_UI_API_URL set), per run."""
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

    server = load_module("medperf_prefect_server", ROOT / "infra" / "prefect_server.py").PrefectServer(ui=True)
    server.start()
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url, PREFECT_HOME: str(server.home)}):
            os.environ.update({"PREFECT_API_URL": server.api_url, "DO_NOT_TRACK": "1"})
            yield server
            from prefect.logging.handlers import APILogWorker

            APILogWorker.drain_all(timeout=10)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def prefect_api(prefect_server: Any) -> str:
    """The Prefect API URL."""
    return str(prefect_server.api_url)


@pytest.fixture(scope="session")
def admin(registry: LocalRegistry) -> Iterator[RegistryClient]:
    """The registry admin."""
    with RegistryClient(registry.url, create_admin(registry.settings, "admin@example.org", "Admin")) as client:
        yield client


def _token(admin: RegistryClient, email: str) -> str:
    user = admin.users.create(UserCreate(email=email, name=email.split("@")[0]))
    return admin.tokens.create(user.id).token


@pytest.fixture(scope="session")
def bench_owner(admin: RegistryClient, registry: LocalRegistry) -> RegistryClient:
    """The benchmark committee."""
    return RegistryClient(registry.url, _token(admin, "committee@bench.example"))


@pytest.fixture(scope="session")
def data_owner_token(admin: RegistryClient) -> str:
    """The token of the hospital's data owner; the site's profile holds it."""
    return _token(admin, "owner@site-a.example")


@pytest.fixture(scope="session")
def data_owner(registry: LocalRegistry, data_owner_token: str) -> RegistryClient:
    """The hospital's data owner, as a client."""
    return RegistryClient(registry.url, data_owner_token)


@pytest.fixture(scope="session")
def site_home(tmp_path_factory: pytest.TempPathFactory, registry: LocalRegistry, data_owner_token: str) -> Path:
    """$MEDPERF_HOME of the site machine: the data owner's profile and the site secret live here."""
    home = tmp_path_factory.mktemp("site-home")
    ProfileStore(home).put("site-a", Profile(server_url=registry.url, token=data_owner_token), activate=True)
    return home


@pytest.fixture(scope="session")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded object store (a local folder) shared by the committee and the site."""
    return tmp_path_factory.mktemp("store")


@pytest.fixture(scope="session")
def store(store_root: Path) -> ObjectStore:
    """The object store client."""
    return make_store(ObjectStoreSettings(kind="local", root=store_root, cache_dir=store_root.parent / "cache"))


@pytest.fixture(scope="session")
def site_env_values(
    prefect_api: str, site_home: Path, store_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The site's environment (sandbox runner, its data root), one site for the whole run."""
    data_root = tmp_path_factory.mktemp("site-data")
    return {
        "MEDPERF_HOME": str(site_home),
        "MEDPERF_SITE_NAME": "site-a",
        "MEDPERF_SITE_DATA_ROOT": str(data_root),
        "MEDPERF_SITE_RUNNER": "sandbox",
        "MEDPERF_SITE_TASK_TIMEOUT_SECONDS": "120",
        "MEDPERF_STORE_KIND": "local",
        "MEDPERF_STORE_ROOT": str(store_root),
        "MEDPERF_STORE_CACHE_DIR": str(data_root / "store-cache"),
    }


@pytest.fixture(scope="module")
def site_env(site_env_values: dict[str, str]) -> Iterator[dict[str, str]]:
    """The site's environment, set for the module that uses it (also for served deployments) and removed after
    it: set for the session, MEDPERF_SITE_NAME=site-a reached the later modules of the worker (a `site up` test
    then read its saved settings as site-a's)."""
    with scoped_env(site_env_values):
        yield site_env_values


@pytest.fixture
def world(
    admin: RegistryClient,
    bench_owner: RegistryClient,
    data_owner: RegistryClient,
    store: ObjectStore,
    tmp_path: Path,
    site_env: dict[str, str],
) -> World:
    """A fresh benchmark (tiny containers, reference model) and the site's environment set."""
    return make_benchmark(admin, bench_owner, data_owner, store)


@pytest.fixture
def site_world(
    admin: RegistryClient,
    bench_owner: RegistryClient,
    data_owner: RegistryClient,
    store: ObjectStore,
    site_env: dict[str, str],
    site_home: Path,
    tmp_path: Path,
) -> Callable[..., SiteWorld]:
    """Build a SiteWorld: `site_world(cases=40, model_parameters=None)` (the tiny model's parameters)."""

    def build(cases: int = 40, model_parameters: dict[str, Any] | None = None) -> SiteWorld:
        world = make_benchmark(admin, bench_owner, data_owner, store, model_parameters=model_parameters)
        # cases of their own: equal data would let the site reuse another test's steps
        raw, labels = write_raw_data(tmp_path / "in", cases, id_tail=f"-{tmp_path.name}")
        return SiteWorld(world, Path(site_env["MEDPERF_SITE_DATA_ROOT"]), site_home, raw, labels)

    return build


@pytest.fixture
def served_site(prefect_api: str, site_env: dict[str, str], tmp_path: Path) -> Iterator[None]:
    """serve_site.py in a child process; waits (with a deadline) until its deployments exist."""
    log = (tmp_path / "serve.log").open("wb")
    env = {
        **os.environ,
        **site_env,
        "PREFECT_API_URL": prefect_api,
        "PYTHONPATH": str(ROOT),
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, str(FLOWS / "serve_site.py")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + DEADLINE_S
        while True:
            assert proc.poll() is None, f"serve_site.py exited; see {log.name}"
            with get_client(sync_client=True) as client:
                try:
                    client.read_deployment_by_name("prepare_dataset/site-a")
                    break
                except Exception:
                    assert time.monotonic() < deadline, "deployments not served in time"
            time.sleep(0.5)
        yield
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
