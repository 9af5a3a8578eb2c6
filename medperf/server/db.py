"""The database engine (SQLite file by default, Postgres by URL) and per-request sessions."""

import json
from pathlib import Path
from typing import Any

from pydantic_core import from_json
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

from medperf.server.settings_url import normalize_database_url


def make_engine(database_url: str) -> Engine:
    """An engine for the URL: SQLite with WAL and cross-thread use, or a pooled Postgres engine."""
    url = normalize_database_url(database_url)
    if url.startswith("sqlite"):
        _ensure_sqlite_folder(url)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, json_deserializer=_json_loads
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No ping per checkout (one round trip per request saved): a connection the server dropped fails
    # its request once, SQLAlchemy then invalidates the whole pool, and clients retry; recycling after
    # 30 minutes keeps idle connections clear of server-side timeouts. JSON columns are decoded by the
    # same Rust parser as on SQLite (psycopg's default is the stdlib's json.loads, ~9x slower per value).
    return create_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=False, pool_recycle=1800, json_deserializer=_json_loads
    )


def make_read_engine(engine: Engine) -> Engine:
    """The engine for requests that only read: on Postgres a pool of its own in autocommit mode, else `engine`.

    A read then sends no BEGIN before its first statement and no ROLLBACK when its connection goes back to
    the pool (two round trips per request). Its connections stay in autocommit for their whole life: a
    pool shared with the write engine would switch each connection's mode at every checkout and checkin,
    and the two kinds of request would hand each other connections in whatever state the last one left.
    Each statement still sees a fresh snapshot, as it does in a READ COMMITTED transaction.
    """
    if engine.dialect.name != "postgresql":
        return engine
    return create_engine(
        engine.url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=False,
        pool_recycle=1800,
        json_deserializer=_json_loads,
        isolation_level="AUTOCOMMIT",
    )


def _json_loads(text: str | bytes) -> Any:
    """Decode a JSON column (text on SQLite, bytes from psycopg): the Rust parser, or the stdlib for anything
    it refuses.

    Rows written before text was checked at the edge may hold lone surrogates (`"\\ud800"`), which no
    answer can carry as UTF-8; they read back as U+FFFD, so one such row cannot break a list for everyone.
    """
    try:
        return from_json(text)
    except ValueError:
        return _without_lone_surrogates(json.loads(text))


def _without_lone_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_lone_surrogates(key): _without_lone_surrogates(item) for key, item in value.items()}
    return value


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache per connection
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()
