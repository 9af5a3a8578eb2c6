"""The central stack on one machine without Docker: `python infra/stack.py up|down|env [--dir DIR]`.

Postgres (infra/postgres.py) holds two databases, the registry's and Prefect's; SeaweedFS (infra/seaweed.py)
is the S3 object store; `prefect server start` runs on Postgres; the MedPerf server runs via
`medperf server start`. Every service binds 127.0.0.1 on a free port; URLs, pids and the admin token are
written to DIR/stack.json (mode 0600). `env` prints the shell exports a client of the stack needs.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from medperf.prefect_server import command as prefect_server_command
from medperf.process_alive import process_alive

INFRA = Path(__file__).resolve().parent
STATE_FILE = "stack.json"
DEADLINE_S = 120.0
ADMIN_EMAIL = "admin@stack.local"
SECRETS = ("admin_token", "s3_secret_key")


def _infra_module(name: str) -> ModuleType:
    """Load infra/<name>.py (infra/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"medperf_infra_{name}", INFRA / f"{name}.py")
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {INFRA / name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class StackState:
    """Where the running stack answers, and what to stop."""

    root: str
    registry_url: str
    registry_database_url: str
    prefect_api_url: str
    prefect_database_url: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    s3_bucket: str
    admin_token: str
    pids: dict[str, int]

    def env(self) -> dict[str, str]:
        """Variables a benchmark owner, a site or a test uses to reach this stack."""
        return {
            "PREFECT_API_URL": self.prefect_api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "1",
            "MEDPERF_REGISTRY_URL": self.registry_url,
            "MEDPERF_STORE_KIND": "s3",
            "MEDPERF_STORE_ENDPOINT": self.s3_endpoint,
            "MEDPERF_STORE_ACCESS_KEY": self.s3_access_key,
            "MEDPERF_STORE_SECRET_KEY": self.s3_secret_key,
            "MEDPERF_STORE_BUCKET": self.s3_bucket,
            "MEDPERF_STORE_SECURE": "false",
        }


def _wait_http(url: str, what: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}; see {log}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        time.sleep(0.25)
    raise RuntimeError(f"{what} did not answer {url} within {DEADLINE_S:.0f} s; see {log}")


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:
        return subprocess.Popen(
            command, env=env, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _create_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def up(root: Path) -> StackState:
    """Start every service (or return the running stack's state when DIR already has one)."""
    root = root.resolve()
    existing = read_state(root)
    if existing is not None and all(process_alive(pid) for pid in existing.pids.values()):
        return existing
    root.mkdir(parents=True, exist_ok=True)
    postgres, seaweed = _infra_module("postgres"), _infra_module("seaweed")
    prefect_server = _infra_module("prefect_server")
    pids: dict[str, int] = {}
    try:
        pg = postgres.start(root / "postgres")
        _create_database(pg.url, "prefect")
        registry_db = pg.url
        prefect_db = pg.url.replace("postgresql+psycopg://", "postgresql+asyncpg://").rsplit("/", 1)[0] + "/prefect"

        s3 = seaweed.start_seaweed(root / "seaweed")
        pids["seaweed"] = s3.process.pid

        prefect_home = root / "prefect-home"
        prefect_home.mkdir(exist_ok=True)
        prefect_port = prefect_server.free_port()
        prefect_api = f"http://127.0.0.1:{prefect_port}/api"
        env = prefect_server.prefect_env(prefect_home)
        env.pop("PREFECT_API_URL", None)
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = prefect_db
        env["PREFECT_UI_ENABLED"] = "false"
        prefect_log = root / "prefect-server.log"
        prefect_proc = _spawn(prefect_server_command("127.0.0.1", prefect_port), env, prefect_log)
        pids["prefect"] = prefect_proc.pid

        registry_port = prefect_server.free_port()
        registry_url = f"http://127.0.0.1:{registry_port}"
        registry_log = root / "registry-server.log"
        registry_env = {**os.environ, "MEDPERF_HOME": str(root / "registry-home")}
        registry_proc = _spawn(
            [sys.executable, "-m", "medperf.cli.main", "server", "start", "--host", "127.0.0.1",
             "--port", str(registry_port), "--database-url", registry_db],
            registry_env,
            registry_log,
        )
        pids["registry"] = registry_proc.pid
        _wait_http(f"{prefect_api}/health", "prefect server", prefect_proc, prefect_log)
        _wait_http(f"{registry_url}/health", "medperf server", registry_proc, registry_log)

        from medperf.server.admin import create_admin
        from medperf.settings import ServerSettings

        token = create_admin(ServerSettings(database_url=registry_db), ADMIN_EMAIL, "Stack admin")
    except BaseException:
        _stop_pids(pids)
        postgres.stop(root / "postgres")
        raise
    state = StackState(
        str(root), registry_url, registry_db, prefect_api, prefect_db, s3.endpoint, s3.access_key, s3.secret_key,
        "medperf", token, pids,
    )
    write_state(root, state)
    return state


def _stop_pids(pids: dict[str, int]) -> None:
    for pid in pids.values():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5  # weed waits for its S3 clients' idle connections (15 s and more): scratch data
    for pid in pids.values():
        while process_alive(pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    break
            time.sleep(0.2)
        if process_alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


def down(root: Path) -> bool:
    """Stop every service of the stack in DIR; False when there was none."""
    root = root.resolve()
    state = read_state(root)
    if state is None:
        return False
    _stop_pids(state.pids)
    _infra_module("postgres").stop(root / "postgres")
    (root / STATE_FILE).unlink(missing_ok=True)
    return True


def write_state(root: Path, state: StackState) -> None:
    """DIR/stack.json, readable by its owner only (it holds the admin token and S3 keys)."""
    path = root / STATE_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(state), handle, indent=2)


def read_state(root: Path) -> StackState | None:
    """The state file of a stack in DIR, or None."""
    path = root / STATE_FILE
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return StackState(**data)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["up", "down", "env"])
    default_dir = Path(os.environ.get("MEDPERF_HOME", Path.home() / ".medperf")) / "stack"
    parser.add_argument("--dir", type=Path, default=default_dir, help=f"state folder (default {default_dir})")
    args = parser.parse_args(argv)
    try:
        if args.action == "up":
            state = up(args.dir)
            print(json.dumps({k: v for k, v in asdict(state).items() if k not in SECRETS}, indent=2))
            print(f"admin token and S3 keys in {args.dir.resolve() / STATE_FILE}", file=sys.stderr)
        elif args.action == "down":
            print("stopped" if down(args.dir) else f"no stack in {args.dir}")
        else:
            found = read_state(args.dir.resolve())
            if found is None:
                print(f"error: no stack in {args.dir}; run `python infra/stack.py up --dir {args.dir}`",
                      file=sys.stderr)
                return 1
            for key, value in found.env().items():
                print(f"export {key}={value}")
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
