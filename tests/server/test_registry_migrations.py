"""The Alembic migrations build exactly the schema of the SQLModel tables, and the app applies them."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlmodel import SQLModel, create_engine

import medperf.server.tables  # noqa: F401  (registers the tables)
from medperf.server.app import create_app
from medperf.server.db import make_engine
from medperf.settings import ServerSettings


def test_migrated_schema_equals_the_table_definitions(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, SQLModel.metadata)
            assert context.get_current_revision() == "0001"
    finally:
        engine.dispose()
    assert diff == []


def test_create_app_upgrades_a_new_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "registry.db"
    app = create_app(ServerSettings(database_url=f"sqlite:///{path}"))
    with TestClient(app) as client:
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/api/v1/users/me").status_code == 401
    app.state.engine.dispose()
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == "0001"
    engine.dispose()
