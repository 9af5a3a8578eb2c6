"""Session-wide test settings and services: one cache of the containers' Python environments, one registry.

The sandbox builds one environment per requirement set; tests and the site processes they start (which
inherit this variable) reuse the same folder instead of building the same environments again. The CLI,
client, bundle and flow tests share one registry server (`medperf server start` on SQLite) per test run;
each test registers its own users and entities with unique names, so they do not see each other's. The
deployment and fault tests share one central stack (Postgres, SeaweedFS, Prefect and MedPerf on Postgres).
"""

import asyncio
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.modules import load_module
from support.schedule import load_durations, longest_first
from support.scoped_env import scoped_env

from medperf.cli.local_server import LocalRegistry, local_registry
from medperf.prefect_tls import share_prefect_tls_contexts

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = [
    "support.flow_services",  # the flow and browser tests' one Prefect server, users and site-a
    "support.cpu_report",  # CPU per module when MEDPERF_TEST_CPU_REPORT names a folder (scripts/test.sh)
    "support.docker_ready",  # docker tests wait for the dockerd and base image of scripts/test.sh
]
# Under pytest-xdist (scripts/test.sh with MEDPERF_TEST_WORKERS=N) each module runs whole on one worker: a module's
# tests share its module-scoped world and run in their order. The container tests build and remove images under
# fixed tags, so they run on one worker together. A session service (the stack, a Prefect server) starts at most
# once per worker that runs a module using it.
ENV_CACHE = Path(tempfile.gettempdir()) / "medperf-test-envs"

os.environ.setdefault("MEDPERF_SITE_ENV_CACHE", str(ENV_CACHE))
share_prefect_tls_contexts()  # the tests' Prefect clients (polling loops, in-process runs) as the product's processes


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    """`medperf server start` on a free port with a temp SQLite file, for the whole test run."""
    with local_registry(tmp_path_factory.mktemp("registry")) as server:
        yield server


REUSE_STACK = "MEDPERF_TEST_STACK_DIR"  # a folder where `python infra/stack.py up --dir DIR` already ran


@pytest.fixture(scope="session")
def stack_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The whole central stack, started by infra/stack.py (or reused from $MEDPERF_TEST_STACK_DIR), per run."""
    module = load_module("medperf_infra_stack", ROOT / "infra" / "stack.py", register=True)  # infra/: scripts
    reuse = os.environ.get(REUSE_STACK)
    root = Path(reuse) if reuse else tmp_path_factory.mktemp("stack")
    state = module.up(root)  # raises with the service's log path when a service cannot start
    try:
        yield state
    finally:
        if not reuse:
            module.down(root)


@pytest.fixture(scope="module")
def stack(stack_services: Any) -> Iterator[Any]:
    """The central stack, its variables (MEDPERF_STORE_*, PREFECT_API_URL, ...) set for this module only.

    Set for the session, they sent later modules' archives to the stack's S3 on a worker that ran a stack
    module first (under xdist the long stack modules go first).
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    prefect = {PREFECT_API_URL: stack_services.prefect_api_url}
    with scoped_env(stack_services.env()), temporary_settings(updates=prefect):
        yield stack_services


@pytest.fixture(scope="module", autouse=True)
def no_event_loop_left_running() -> Iterator[None]:
    """Fail a module that leaves an event loop running on the main thread once its fixtures are gone.

    Prefect's sync calls return coroutines under a running loop, so every later test on the worker would break.
    """
    yield
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    pytest.fail("this module left an event loop running on the main thread (a session-scoped async fixture?)")


SHARED_PREFECT_SERVER_GROUP = "prefect-server-of-the-flow-tests"
_shared_prefect_modules: set[str] = set()


def _group(item: pytest.Item) -> str:
    """The module; a module-scoped fixture's parameters split it (each value's tests share nothing with the
    other's, so the imaging demo's docker and sandbox runs go to two workers at once). Every module that uses the
    flow tests' session Prefect server (support/flow_services.py) is one group, on one worker: one server for
    them all instead of one per worker (each costs ~10 s of CPU to start and keep polling)."""
    module = item.nodeid.split("::")[0]
    if module.startswith("tests/containers/"):
        return "docker-images"
    if module in _shared_prefect_modules:
        return SHARED_PREFECT_SERVER_GROUP
    callspec = getattr(item, "callspec", None)
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    split = sorted(f"{name}={callspec.params[name]}" for name in (callspec.params if callspec else {})
                   if name in definitions and definitions[name][-1].scope == "module")
    return f"{module}({','.join(split)})" if split else module  # not "[...]": xdist ignores a group ending in "]"


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups into the test ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group each test with the rest of its module (every container test in one group) for the parallel workers,
    and put the longest modules first (their last recorded wall times, tests/support/durations.json).

    scripts/test.sh keeps the groups in this order (--no-loadscope-reorder), and each free worker takes the next
    group: the long, mostly waiting modules (demos, outages) start at once, spread over the workers, and the
    many short ones fill in behind them instead of one worker finishing two long ones at the end.
    """
    _shared_prefect_modules.update(item.nodeid.split("::")[0] for item in items
                                   if "prefect_server" in item.fixturenames)  # fmt: skip
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_group(item)))
    items[:] = longest_first(items, load_durations(), _group)
