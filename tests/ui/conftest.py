"""Services of the browser test: the flow tests' registry and site, a Prefect server serving its UI, chromium."""

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.modules import load_module

from medperf.cli.local_server import LocalRegistry, local_registry

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "flows"))  # flow_world, flow_harness: the flow tests' helpers
CHROMIUM = "/usr/bin/chromium"  # Debian's package (scripts/test.sh installs it); no browser is downloaded
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


_flow_services = load_module("medperf_flow_services", ROOT / "tests" / "flows" / "conftest.py")
# The users, the site's home and object store, exactly as the flow tests have them, on a registry of the
# browser tests' own: their fixtures register the same users and names as the flow tests' (site-a, ...).


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    """`medperf server start` on a free port with a temp SQLite file, for the browser tests."""
    with local_registry(tmp_path_factory.mktemp("ui-registry")) as server:
        yield server


admin = _flow_services.admin
bench_owner = _flow_services.bench_owner
data_owner_token = _flow_services.data_owner_token
data_owner = _flow_services.data_owner
site_home = _flow_services.site_home
store_root = _flow_services.store_root
store = _flow_services.store
site_env = _flow_services.site_env
site_world = _flow_services.site_world
world = _flow_services.world
# The site's flows served as deployments (evaluate_model/site-a, prepare_dataset/site-a), as the flow tests do.
served_site = load_module("medperf_served_site", ROOT / "tests" / "flows" / "test_suspend_resume.py").served_site


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[Any]:
    """`prefect server start` with its UI, as an operator opens it (PREFECT_UI_API_URL set)."""
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

    server = load_module("medperf_prefect_server", ROOT / "infra" / "prefect_server.py").PrefectServer(ui=True)
    server.start()
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url, PREFECT_HOME: str(server.home)}):
            os.environ.update({"PREFECT_API_URL": server.api_url, "DO_NOT_TRACK": "1"})
            yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def prefect_api(prefect_server: Any) -> str:
    """The API URL (the flow tests' fixtures depend on this name)."""
    return str(prefect_server.api_url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless chromium driven by Playwright; a missing /usr/bin/chromium fails the test, naming the package.

    One per module, closed at its end: Playwright's sync API keeps an event loop running on the main thread
    while it is open, and Prefect's sync calls in the tests after it (on the same worker) returned coroutines.
    """
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: apt-get install chromium (scripts/test.sh does)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
