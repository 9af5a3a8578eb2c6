"""A registry server as a child process on this machine (`medperf server start`): embedded setups, tests."""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from medperf.client import ServerUnavailable, wait_until_healthy
from medperf.settings import ServerSettings


@dataclass(frozen=True)
class LocalRegistry:
    """A running local registry: its URL, its settings (same database) and its log file."""

    url: str
    settings: ServerSettings
    log_path: Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def local_registry(
    home: Path, *, port: int | None = None, database_url: str | None = None, timeout_s: float = 120.0
) -> Iterator[LocalRegistry]:
    """Run `medperf server start` on 127.0.0.1 (SQLite in `home` by default) until the block ends."""
    home.mkdir(parents=True, exist_ok=True)
    settings = ServerSettings(
        host="127.0.0.1",
        port=port or free_port(),
        database_url=database_url or f"sqlite:///{home / 'registry.db'}",
    )
    url = f"http://{settings.host}:{settings.port}"
    log_path = home / "registry-server.log"
    command = [sys.executable, "-m", "medperf.cli.main", "server", "start"]
    command += [
        "--host",
        settings.host,
        "--port",
        str(settings.port),
        "--database-url",
        settings.database_url,
    ]
    env = {**os.environ, "MEDPERF_HOME": str(home)}
    with log_path.open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            try:
                wait_until_healthy(url, timeout_s=timeout_s)
            except ServerUnavailable as exc:
                state = f"exited with {process.poll()}" if process.poll() is not None else "still starting"
                raise ServerUnavailable(url, f"server {state}; see {log_path}") from exc
            yield LocalRegistry(url=url, settings=settings, log_path=log_path)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
