"""A new SQLite Prefect database is a copy of the machine's migrated empty one; nothing else is touched."""

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from medperf.prefect_db_template import seed_database, sqlite_file, template_path


def _revision(path: Path) -> str:
    with closing(sqlite3.connect(path)) as db:
        return str(db.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def _tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_only_sqlite_files_have_a_path() -> None:
    assert sqlite_file("sqlite+aiosqlite:////srv/prefect/prefect.db") == Path("/srv/prefect/prefect.db")
    assert sqlite_file("sqlite:///relative.db?timeout=30") == Path("relative.db")
    assert sqlite_file("sqlite+aiosqlite:///:memory:") is None
    assert sqlite_file("postgresql+asyncpg://prefect@127.0.0.1/prefect") is None


def test_a_new_database_is_built_once_then_copied_at_the_head_revision(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first, second = tmp_path / "one" / "prefect.db", tmp_path / "two" / "prefect.db"
    assert seed_database(f"sqlite+aiosqlite:///{first}", cache) == "built"
    assert seed_database(f"sqlite+aiosqlite:///{second}", cache) == "copied"
    template = template_path(cache)
    assert _revision(first) == _revision(second) == _revision(template)
    assert {"flow_run", "deployment", "work_pool", "flow_run_input"} <= _tables(second)
    assert not list(cache.glob(".*")), "no partial or building file is left in the cache"


@pytest.mark.parametrize("url", ["postgresql+asyncpg://prefect@127.0.0.1:5432/prefect", "sqlite+aiosqlite:///:memory:"])
def test_other_databases_are_left_to_prefect(url: str, tmp_path: Path) -> None:
    assert seed_database(url, tmp_path / "cache") == "skipped"
    assert not (tmp_path / "cache").exists()


def test_an_existing_database_is_never_overwritten(tmp_path: Path) -> None:
    existing = tmp_path / "prefect.db"
    with closing(sqlite3.connect(existing)) as db:
        db.execute("CREATE TABLE kept (value TEXT)")
        db.execute("INSERT INTO kept VALUES ('the site history')")
        db.commit()
    assert seed_database(f"sqlite+aiosqlite:///{existing}", tmp_path / "cache") == "skipped"
    assert _tables(existing) == {"kept"}
