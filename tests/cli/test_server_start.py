"""`medperf server start`: the process that stays in charge of the workers never loads the registry app."""

import os
import subprocess
import sys
from pathlib import Path

from medperf.cli.local_server import free_port
from medperf.client import wait_until_healthy


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _loads_the_app(pid: int) -> bool:
    """Whether the process has pydantic's compiled core mapped (the app needs it; uvicorn alone does not)."""
    return "pydantic_core" in Path(f"/proc/{pid}/maps").read_text()


def test_the_supervisor_of_several_workers_does_not_import_the_app(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "medperf.cli.main", "server", "start", "--port", str(port), "--workers", "2"]
    command += ["--database-url", f"sqlite:///{tmp_path / 'registry.db'}"]
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(command, env={**os.environ, "MEDPERF_HOME": str(tmp_path)}, stdout=log, stderr=log)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", timeout_s=180)
        cmdline = Path(f"/proc/{server.pid}/cmdline").read_text().split("\0")
        assert cmdline[1:3] == ["-m", "uvicorn"], cmdline  # the CLI became uvicorn: no parent holds the CLI
        workers = [pid for pid in _children(server.pid) if _loads_the_app(pid)]
        assert len(workers) == 2
        assert not _loads_the_app(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert (tmp_path / "registry.db").is_file()  # migrated before serving
