"""A new SQLite Prefect database starts as a copy of an empty one already migrated on this machine.

Why: Prefect migrates a new database at its first start (every migration since 2.0; on SQLite most of them
copy tables): 5 of the 8.5 s of CPU a first start took here, against 3.5 s for a restart. The demo and each
test run start several new servers. The migrated empty database is built once per Prefect version on the
machine (`prefect server database upgrade`, in its own process) and copied with SQLite's backup API; the
server then finds it at the head revision and runs no migration. A database that exists is never touched,
and anything but a SQLite file (Postgres, in-memory) is left to Prefect as before.
"""

import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Literal

SQLITE_PREFIXES = ("sqlite+aiosqlite:///", "sqlite:///")
CACHE_ENV = "MEDPERF_PREFECT_DB_CACHE"
BUILD_TIMEOUT_S = 300
Seeded = Literal["copied", "built", "skipped"]


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL, or None (another database, or in memory)."""
    for prefix in SQLITE_PREFIXES:
        if url.startswith(prefix):
            rest = url[len(prefix):].split("?", 1)[0]
            return Path(rest) if rest and rest != ":memory:" else None
    return None


def default_cache_dir() -> Path:
    """Where this machine keeps its migrated empty databases ($MEDPERF_PREFECT_DB_CACHE, else the user cache)."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "medperf" / "prefect-db"


def template_path(cache_dir: Path) -> Path:
    """The migrated empty database for the installed Prefect version."""
    import prefect

    return cache_dir / f"prefect-{prefect.__version__}-sqlite.db"


def _copy(source: Path, target: Path) -> None:
    """A consistent copy (SQLite's backup API), appearing under its name only when complete."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(partial)) as dst:
        src.backup(dst)
    os.replace(partial, target)


def build_template(template: Path) -> None:
    """Migrate an empty database to Prefect's head revision in a separate process; then publish it."""
    template.parent.mkdir(parents=True, exist_ok=True)
    building = template.with_name(f".{template.name}.{os.getpid()}.building")
    env = {**os.environ, "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{building}",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    try:
        done = subprocess.run([sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"], env=env,
                              capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
            raise RuntimeError(f"`prefect server database upgrade` failed: {tail[0]}")
        _copy(building, template)  # folds the WAL in: one self-contained file
    finally:
        for leftover in (building, building.with_name(building.name + "-wal"),
                         building.with_name(building.name + "-shm")):
            leftover.unlink(missing_ok=True)


def seed_database(url: str, cache_dir: Path | None = None) -> Seeded:
    """Give a SQLite database that does not exist yet the migrated empty one; what was done.

    "skipped": not a SQLite file, or it exists (never overwritten). "copied": from this machine's template.
    "built": the template was missing, so it was built first (once per Prefect version).
    """
    target = sqlite_file(url)
    if target is None or (target.exists() and target.stat().st_size > 0):
        return "skipped"
    template = template_path(cache_dir or default_cache_dir())
    outcome: Seeded = "copied"
    if not template.is_file():
        build_template(template)
        outcome = "built"
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(template, target)
    return outcome
