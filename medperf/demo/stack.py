"""The demo's central services as background processes: the registry (SQLite) and a Prefect server (SQLite)."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from medperf.cli.local_server import free_port
from medperf.demo.layout import QUIET_PREFECT, DemoLayout
from medperf.errors import ConfigError
from medperf.prefect_server import command as prefect_server_command
from medperf.process_alive import process_alive

STARTUP_DEADLINE_S = 120.0
STOP_DEADLINE_S = 20.0


@dataclass
class DemoState:
    """Where the running demo answers and what to stop (written to <home>/demo.json)."""

    registry_url: str
    prefect_api_url: str
    pids: dict[str, int]
    sites: list[str] = field(default_factory=list)

    @property
    def prefect_ui_url(self) -> str:
        """The Prefect UI (same server, without /api)."""
        return self.prefect_api_url.removesuffix("/api")




def read_state(layout: DemoLayout) -> DemoState | None:
    """The state of a demo in this home, or None."""
    if not layout.state_file.is_file():
        return None
    return DemoState(**json.loads(layout.state_file.read_text(encoding="utf-8")))


def write_state(layout: DemoLayout, state: DemoState) -> None:
    """<home>/demo.json (mode 0600)."""
    fd = os.open(layout.state_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(state), handle, indent=2)


def is_running(layout: DemoLayout) -> bool:
    """Whether a demo started in this home still has a live service."""
    state = read_state(layout)
    return state is not None and any(process_alive(pid) for pid in state.pids.values())


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as handle:
        return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def _wait_healthy(name: str, url: str, pid: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while time.monotonic() < deadline:
        if not process_alive(pid):
            raise ConfigError(f"the {name} exited at start; see {log}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        time.sleep(0.2)
    raise ConfigError(f"the {name} did not answer {url} within {STARTUP_DEADLINE_S:.0f} s; see {log}")


def start_stack(layout: DemoLayout) -> DemoState:
    """Start `medperf server start` and `prefect server start` (both SQLite, 127.0.0.1); wait for the registry.

    The Prefect server takes longest to start (migrations, block types): `wait_for_prefect` waits for it later.
    """
    registry_port, prefect_port = free_port(), free_port()
    base = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    registry_env = {**base, **QUIET_PREFECT, "MEDPERF_HOME": str(layout.registry)}
    database = f"sqlite:///{layout.registry / 'registry.db'}"
    registry = _spawn(
        [sys.executable, "-m", "medperf.cli.main", "server", "start", "--host", "127.0.0.1",
         "--port", str(registry_port), "--database-url", database],
        registry_env, layout.registry / "registry-server.log",
    )
    prefect_env = {
        **base, **QUIET_PREFECT,
        "PREFECT_HOME": str(layout.prefect),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{layout.prefect / 'prefect.db'}",
        "PREFECT_UI_ENABLED": "true",
        # the UI's browser code calls this address; without it the page cannot reach the API
        "PREFECT_UI_API_URL": f"http://127.0.0.1:{prefect_port}/api",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        # SQLite: wait longer for the write lock; no automations in the demo, so fewer writers. The scheduler
        # runs: the demo switches on each site's continuous evaluation and shows it firing.
        "PREFECT_SERVER_DATABASE_TIMEOUT": "30",
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "true",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
        "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_ENABLED": "false",
    }
    prefect = _spawn(prefect_server_command("127.0.0.1", prefect_port), prefect_env,
                     layout.prefect / "prefect-server.log")
    state = DemoState(f"http://127.0.0.1:{registry_port}", f"http://127.0.0.1:{prefect_port}/api",
                      {"registry": registry.pid, "prefect": prefect.pid})
    write_state(layout, state)
    _wait_healthy("registry server", f"{state.registry_url}/health", registry.pid,
                  layout.registry / "registry-server.log")
    return state


def wait_for_prefect(layout: DemoLayout, state: DemoState) -> None:
    """Block until the Prefect server answers /api/health (it starts while the registry steps run)."""
    _wait_healthy("Prefect server", f"{state.prefect_api_url}/health", state.pids["prefect"],
                  layout.prefect / "prefect-server.log")


def _stop_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_DEADLINE_S
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if process_alive(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def stop_demo(home: Path) -> list[str]:
    """Stop the site workers, the Prefect server and the registry of the demo in `home`; what was stopped."""
    from deployments.site_worker import stop_worker

    layout = DemoLayout(home.expanduser().resolve())
    state = read_state(layout)
    if state is None:
        return []
    stopped = []
    for site in state.sites:
        pid = stop_worker(site, home=layout.site(site).home)
        if pid is not None:
            stopped.append(f"{site} worker (pid {pid})")
    for name, pid in state.pids.items():
        if process_alive(pid):
            _stop_group(pid)
            stopped.append(f"{name} (pid {pid})")
    layout.state_file.unlink(missing_ok=True)
    return stopped
