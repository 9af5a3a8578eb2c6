"""Session-wide test settings and services: one cache of the containers' Python environments, one registry.

The sandbox builds one environment per requirement set; tests and the site processes they start (which
inherit this variable) reuse the same folder instead of building the same environments again. The CLI,
client, bundle and flow tests share one registry server (`medperf server start` on SQLite) per test run;
each test registers its own users and entities with unique names, so they do not see each other's. The
deployment and fault tests share one central stack (Postgres, SeaweedFS, Prefect and MedPerf on Postgres).
"""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.modules import load_module

from medperf.cli.local_server import LocalRegistry, local_registry

ROOT = Path(__file__).resolve().parents[1]
# Under pytest-xdist (scripts/test.sh with MEDPERF_TEST_WORKERS=N) each module runs whole on one worker: a module's
# tests share its module-scoped world and run in their order. The container tests build and remove images under
# fixed tags, so they run on one worker together. A session service (the stack, a Prefect server) starts at most
# once per worker that runs a module using it.
ENV_CACHE = Path(tempfile.gettempdir()) / "medperf-test-envs"

os.environ.setdefault("MEDPERF_SITE_ENV_CACHE", str(ENV_CACHE))


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    """`medperf server start` on a free port with a temp SQLite file, for the whole test run."""
    with local_registry(tmp_path_factory.mktemp("registry")) as server:
        yield server


REUSE_STACK = "MEDPERF_TEST_STACK_DIR"  # a folder where `python infra/stack.py up --dir DIR` already ran


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The whole central stack, started by infra/stack.py (or reused from $MEDPERF_TEST_STACK_DIR)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    module = load_module("medperf_infra_stack", ROOT / "infra" / "stack.py", register=True)  # infra/: scripts
    reuse = os.environ.get(REUSE_STACK)
    root = Path(reuse) if reuse else tmp_path_factory.mktemp("stack")
    state = module.up(root)  # raises with the service's log path when a service cannot start
    saved = {key: os.environ.get(key) for key in state.env()}
    os.environ.update(state.env())
    try:
        with temporary_settings(updates={PREFECT_API_URL: state.prefect_api_url}):
            yield state
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if not reuse:
            module.down(root)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group each test with the rest of its module (with every container test) for the parallel workers."""
    for item in items:
        module = item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group("docker-images" if module.startswith("tests/containers/") else module))
