"""The Alembic migrations build exactly the schema of the SQLModel tables, and the app applies them."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlmodel import SQLModel, create_engine

import medperf.server.tables  # noqa: F401  (registers the tables)
from medperf.server.app import create_app
from medperf.server.db import make_engine
from medperf.server.migrate import alembic_config, upgrade_database
from medperf.settings import ServerSettings


def test_migrated_schema_equals_the_table_definitions(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, SQLModel.metadata)
            assert context.get_current_revision() == "0004"
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
        assert MigrationContext.configure(connection).get_current_revision() == "0004"
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def legacy_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database (SQLite file or a new Postgres database) migrated to revision 0001 only."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'legacy.db'}"
    else:
        base: str = request.getfixturevalue("postgres_url")
        name = f"legacy_{tmp_path.name.lower().replace('-', '_')[-40:]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        admin.dispose()
        url = base.rsplit("/", 1)[0] + f"/{name}"
    command.upgrade(alembic_config(url), "0001")
    return url


LEGACY_ROWS = """
INSERT INTO users (id, email, name, is_admin, created_at) VALUES (1, 'a@x.org', 'A', false, '2026-01-01 00:00:00+00');
INSERT INTO containers (id, name, owner_id, config, image, state, created_at)
  VALUES (1, 'c', 1, '{}', 'x', 'DEVELOPMENT', '2026-01-01 00:00:00+00'),
         (2, 'c2', 1, '{}', 'x', 'DEVELOPMENT', '2026-01-01 00:00:00+00');
INSERT INTO models (id, name, owner_id, container_id, version, state, created_at, updated_at)
  VALUES (1, 'm', 1, 2, '1', 'DEVELOPMENT', '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00');
INSERT INTO benchmarks (id, name, description, owner_id, data_preparation_container_id, reference_model_id,
  evaluator_container_id, release_policy, state, approval_status, auto_approval_mode, auto_approval_allowlist,
  created_at) VALUES (1, 'b', '', 1, 1, 1, 1, '{}', 'DEVELOPMENT', 'APPROVED', 'NEVER', '[]', '2026-01-01 00:00:00+00');
INSERT INTO datasets (id, name, owner_id, site, benchmark_id, data_preparation_container_id, raw_data_hash,
  prepared_data_hash, statistics, state, created_at, updated_at)
  VALUES (1, 'd', 1, 's', 1, 1, 'r', 'p', '{}', 'DEVELOPMENT', '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00');
INSERT INTO dataset_associations (id, benchmark_id, dataset_id, requested_by, approval_status, created_at)
  VALUES (1, 1, 1, 1, 'REJECTED', '2026-01-01 00:00:00+00'), (2, 1, 1, 1, 'PENDING', '2026-01-01 00:00:00+00'),
         (3, 1, 1, 1, 'PENDING', '2026-01-01 00:00:00+00');
INSERT INTO model_associations (id, benchmark_id, model_id, requested_by, approval_status, created_at)
  VALUES (1, 1, 1, 1, 'APPROVED', '2026-01-01 00:00:00+00');
INSERT INTO standing_consents (id, benchmark_id, dataset_id, granted_by, expires_at, revoked, created_at)
  VALUES (1, 1, 1, 1, '2999-01-01 00:00:00+00', false, '2026-01-01 00:00:00+00')
"""


def test_upgrading_a_populated_database_rebuilds_chains_and_binds_versions(legacy_url: str) -> None:
    engine = make_engine(legacy_url)
    with engine.begin() as connection:
        for statement in LEGACY_ROWS.strip().split(";"):
            connection.execute(sa.text(statement))
    upgrade_database(legacy_url)
    with engine.connect() as connection:
        chain = connection.execute(
            sa.text("SELECT id, previous_id, policy_version FROM dataset_associations ORDER BY id")
        )
        assert [tuple(row) for row in chain] == [(1, None, 1), (2, 1, 1), (3, 2, 1)]
        model_row = connection.execute(sa.text("SELECT previous_id, model_container_id FROM model_associations"))
        assert [tuple(row) for row in model_row] == [(None, 2)]
        consent = connection.execute(sa.text("SELECT policy_version, models FROM standing_consents")).one()
        assert consent[0] == 1 and consent[1] in ([], "[]")
        assert connection.execute(sa.text("SELECT policy_version FROM benchmarks")).scalar_one() == 1
    engine.dispose()


def test_upgrading_refuses_duplicates_the_new_unique_indexes_forbid(legacy_url: str) -> None:
    engine = make_engine(legacy_url)
    with engine.begin() as connection:
        for statement in LEGACY_ROWS.strip().split(";")[:4]:
            connection.execute(sa.text(statement))
        connection.execute(sa.text("UPDATE benchmarks SET approval_status = 'PENDING'"))
        connection.execute(
            sa.text(
                "INSERT INTO benchmarks (id, name, description, owner_id, data_preparation_container_id, "
                "reference_model_id, evaluator_container_id, release_policy, state, approval_status, "
                "auto_approval_mode, auto_approval_allowlist, created_at) VALUES (2, 'b2', '', 1, 1, 1, 1, '{}', "
                "'DEVELOPMENT', 'PENDING', 'NEVER', '[]', '2026-01-01 00:00:00+00')"
            )
        )
    engine.dispose()
    with pytest.raises(RuntimeError, match=r"^benchmarks: users with more than one PENDING benchmark.*found: 1\)$"):
        upgrade_database(legacy_url)
