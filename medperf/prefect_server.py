"""`prefect server start` whose SQLite write transactions take the write lock at BEGIN, so resumes never fail.

Why: Prefect opens its SQLite write transactions DEFERRED (a read lock first, upgraded at the first write).
In WAL mode an upgrade whose snapshot is older than another connection's commit fails at once with
"database is locked" (SQLITE_BUSY_SNAPSHOT), and the busy timeout does not apply. `resume_flow_run` reads the
run and then writes its state, so under a busy site (workers polling, logs, other runs finishing) about one
resume in six failed. With BEGIN IMMEDIATE a transaction waits (busy timeout, 60 s) for the write lock
before it reads, so it never holds a stale snapshot. Reads outside transactions are unchanged; Postgres is
unchanged. Run as `python -m medperf.prefect_server [prefect server start options]`.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import AsyncGenerator, Sequence
from contextlib import asynccontextmanager
from typing import Any


def serialize_sqlite_writes() -> None:
    """Make every transaction Prefect begins on SQLite BEGIN IMMEDIATE (wait for the write lock, then read)."""
    from prefect.server.database import configurations

    @asynccontextmanager
    async def begin_immediate(
        self: Any, session: Any, with_for_update: bool = False
    ) -> AsyncGenerator[Any, None]:
        token = configurations.SQLITE_BEGIN_MODE.set("IMMEDIATE")
        try:
            async with session.begin() as transaction:
                yield transaction
        finally:
            configurations.SQLITE_BEGIN_MODE.reset(token)

    configurations.AioSqliteConfiguration.begin_transaction = begin_immediate  # type: ignore[method-assign]


def command(host: str, port: int, *options: str) -> list[str]:
    """The command line that starts this server (the Python of this environment)."""
    return [sys.executable, "-m", "medperf.prefect_server", "--host", host, "--port", str(port), *options]


def main(argv: Sequence[str] | None = None) -> None:
    """Start the Prefect server in this process (foreground, one worker) with the SQLite fix applied; a new
    SQLite database starts as a copy of the machine's migrated empty one (medperf.prefect_db_template)."""
    serialize_sqlite_writes()
    from prefect.cli import app
    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL

    from medperf.prefect_db_template import seed_database

    url = PREFECT_API_DATABASE_CONNECTION_URL.value()
    if url:
        try:
            seeded = seed_database(str(url))
        except (OSError, RuntimeError, sqlite3.Error, subprocess.SubprocessError) as err:  # Prefect migrates it
            print(f"[medperf] no migrated template for the new database ({err}); Prefect migrates it", flush=True)
        else:
            if seeded != "skipped":
                print(f"[medperf] new database: {seeded} from the migrated template", flush=True)

    sys.argv = [sys.argv[0], "server", "start", *(sys.argv[1:] if argv is None else argv)]
    app()


if __name__ == "__main__":
    main()
