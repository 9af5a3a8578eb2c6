"""Start and stop a throwaway Postgres 15 in a folder: `python infra/postgres.py start|stop DIR`."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("MEDPERF_PG_BIN", "/usr/lib/postgresql/15/bin"))
SYSTEM_USER = "postgres"
DB_USER = "medperf"
DB_NAME = "medperf"


class PostgresError(RuntimeError):
    """Postgres could not be started or stopped; the message says what to do."""


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway server: its folder, port and connection URL."""

    root: Path
    port: int

    @property
    def url(self) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of the `medperf` database."""
        return f"postgresql+psycopg://{DB_USER}@127.0.0.1:{self.port}/{DB_NAME}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(args: list[str], log: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a Postgres binary as the unprivileged `postgres` user when we are root (initdb refuses root)."""
    prefix = ["runuser", "-u", SYSTEM_USER, "--"] if os.geteuid() == 0 else []
    result = subprocess.run(prefix + args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        where = f" (see {log})" if log else ""
        raise PostgresError(f"{Path(args[0]).name} failed{where}: {' | '.join(tail)}")
    return result


def _let_postgres_traverse(folder: Path) -> None:
    """Add the search (x) bit for others on each ancestor we own (pytest's and mktemp's folders are 0700),
    so the `postgres` user can reach its data folder; nothing becomes listable or readable."""
    for ancestor in [folder, *folder.parents]:
        mode = ancestor.stat().st_mode
        if ancestor.stat().st_uid == os.geteuid() and not mode & 0o001:
            ancestor.chmod(mode | 0o001)


def start(root: Path, timeout_s: float = 60.0) -> PostgresServer:
    """Initialize DIR/data, start the server on 127.0.0.1:<free port>, create the `medperf` database."""
    if not (PG_BIN / "initdb").exists():
        raise PostgresError(
            f"{PG_BIN}/initdb not found: apt-get install postgresql-15 (or set MEDPERF_PG_BIN)"
        )
    root = root.resolve()
    data, sock, log = root / "data", root / "socket", root / "postgres.log"
    root.mkdir(parents=True, exist_ok=True)
    sock.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        _let_postgres_traverse(root.parent)
        shutil.chown(root, SYSTEM_USER)
        shutil.chown(sock, SYSTEM_USER)
        root.chmod(0o755)
    if not data.exists():
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", DB_USER, "-A", "trust", "-E", "UTF8"])
    port = _free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off -c full_page_writes=off"
    _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"], log)
    (root / "port").write_text(str(port))
    server = PostgresServer(root, port)
    _wait_ready(server, timeout_s)
    exists = _as_postgres(
        [
            str(PG_BIN / "psql"),
            "-h",
            str(sock),
            "-p",
            str(port),
            "-U",
            DB_USER,
            "-d",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname='{DB_NAME}'",
        ]
    )
    if exists.stdout.strip() != "1":
        _as_postgres([str(PG_BIN / "createdb"), "-h", str(sock), "-p", str(port), "-U", DB_USER, DB_NAME])
    return server


def _wait_ready(server: PostgresServer, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        probe = subprocess.run(
            [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(server.port)],
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            return
        time.sleep(0.2)
    raise PostgresError(
        f"Postgres on port {server.port} not ready after {timeout_s:.0f} s (see {server.root}/postgres.log)"
    )


def stop(root: Path) -> None:
    """Stop the server whose data lives in DIR/data (fast shutdown)."""
    data = root.resolve() / "data"
    if not (data / "postmaster.pid").exists():
        return
    # A folder above may have lost its traverse bit since start (pytest re-creates its temp folders 0700):
    # give it back, else pg_ctl, running as `postgres`, cannot reach the data folder it must stop.
    if os.geteuid() == 0:
        _let_postgres_traverse(root.resolve().parent)
    try:
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
    except PostgresError:
        # still unreachable: stop the postmaster by its pid file (SIGINT = Postgres' fast shutdown)
        pid = int((data / "postmaster.pid").read_text().split()[0])
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)


def main(argv: list[str] | None = None) -> int:
    """CLI: `start DIR` prints the URL; `stop DIR` stops the server."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            print(start(args.dir).url)
        else:
            stop(args.dir)
    except PostgresError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
