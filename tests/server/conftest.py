"""Fixtures: a fresh registry database per test, on SQLite and on a real Postgres, and a TestClient."""

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from server_world import Registry
from sqlalchemy import create_engine, text
from support.modules import load_module

from medperf.server.admin import create_admin
from medperf.server.app import create_app
from medperf.server.migrate import upgrade_database
from medperf.settings import ServerSettings

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_DB = f"medperf_template_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"  # one per parallel worker
_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """$MEDPERF_TEST_POSTGRES_URL, or a throwaway Postgres 15 started for the session (fails loudly)."""
    given = os.environ.get("MEDPERF_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    helper = load_module("infra_postgres", REPO / "infra" / "postgres.py", register=True)  # dataclasses inside
    root = Path(tempfile.mkdtemp(prefix="medperf-pg-"))
    server = helper.start(root)
    try:
        yield server.url
    finally:
        helper.stop(root)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str) -> str:
    """A migrated template database; each test clones it (CREATE DATABASE ... TEMPLATE)."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}"))
        conn.execute(text(f"CREATE DATABASE {TEMPLATE_DB}"))
    admin.dispose()
    url = postgres_url.rsplit("/", 1)[0] + f"/{TEMPLATE_DB}"
    upgrade_database(url)
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test copies it."""
    path = tmp_path_factory.mktemp("template") / "registry.db"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated registry database for one test."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "registry.db"
        shutil.copy(template, target)
        yield f"sqlite:///{target}"
        return
    request.getfixturevalue("postgres_template")
    base: str = request.getfixturevalue("postgres_url")
    name = f"test_{os.getpid()}_{next(_counter)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}"))
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def settings(database_url: str) -> ServerSettings:
    """Server settings on the test's database."""
    return ServerSettings(database_url=database_url)


@pytest.fixture
def client(settings: ServerSettings) -> Iterator[TestClient]:
    """A TestClient of the app (the database is already at head)."""
    app = create_app(settings, upgrade_db=False)
    with TestClient(app) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.fixture
def registry(client: TestClient, settings: ServerSettings) -> Registry:
    """The client plus an admin token created the way the CLI does it."""
    token = create_admin(settings, "admin@example.org", "Admin")
    return Registry(client, token)


@pytest.fixture
def live_registry(settings: ServerSettings) -> Iterator[tuple[str, str]]:
    """A real uvicorn server of the app on 127.0.0.1 (its own thread), and an admin token: (base url, token)."""
    import threading
    import time

    import uvicorn

    token = create_admin(settings, "admin@example.org", "Admin")
    app = create_app(settings, upgrade_db=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        app.state.engine.dispose()
