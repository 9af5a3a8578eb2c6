"""Start a real Prefect server for tests and benchmarks: 127.0.0.1, a free port, a temp PREFECT_HOME.

SQLite in the temp home by default; a Postgres URL via PREFECT_API_DATABASE_CONNECTION_URL. With ui=True the
Prefect UI is served too, told where its API is (PREFECT_UI_API_URL), so `ui_url` works in a browser.
Usage as a script: `python infra/prefect_server.py` prints the API and UI URLs and serves until Ctrl-C.
"""

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from medperf.prefect_server import command as prefect_server_command

STARTUP_DEADLINE_S = 180.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prefect_env(home: Path, api_url: str | None = None) -> dict[str, str]:
    """Environment for anything Prefect here: no analytics, no tracking, this home, fast worker polling."""
    env = dict(os.environ)
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "1",
            "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        }
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


class PrefectServer:
    """`prefect server start` in a child process; `with PrefectServer() as server: server.api_url`."""

    def __init__(
        self, database_url: str | None = None, deadline_s: float = STARTUP_DEADLINE_S, ui: bool = False
    ) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="prefect-home-")
        self.home = Path(self._tmp.name)
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.ui_url = f"http://127.0.0.1:{self.port}"
        self.ui = ui
        self.database_url = (
            database_url
            or os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL")
            or (f"sqlite+aiosqlite:///{self.home / 'prefect.db'}")
        )
        self.deadline_s = deadline_s
        self.log_path = self.home / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        """The environment a client of this server uses."""
        return prefect_env(self.home, self.api_url)

    def start(self) -> "PrefectServer":
        """Start the server and wait for /api/health, or raise RuntimeError with the log's last lines."""
        env = prefect_env(self.home)
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = self.database_url
        env["PREFECT_UI_ENABLED"] = "true" if self.ui else "false"
        # the UI's browser code calls this address; without it the page cannot reach the API
        env["PREFECT_UI_API_URL"] = self.api_url
        env.pop("PREFECT_API_URL", None)
        command = prefect_server_command("127.0.0.1", self.port)  # SQLite writes that never lock out a resume
        with open(self.log_path, "wb") as log:
            self._proc = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + self.deadline_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                tail = self._tail()
                self.stop()
                raise RuntimeError(f"prefect server exited early ({self._proc.returncode}):\n{tail}")
            try:
                if httpx.get(f"{self.api_url}/health", timeout=2.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        tail = self._tail()
        self.stop()
        raise RuntimeError(f"prefect server not healthy within {self.deadline_s:.0f}s:\n{tail}")

    def _tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Stop the server (its whole process group) and remove the temp home."""
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
        self._proc = None
        self._tmp.cleanup()

    def __enter__(self) -> "PrefectServer":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


if __name__ == "__main__":
    with PrefectServer(ui=True) as server:
        print(f"API {server.api_url}\nUI  {server.ui_url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
