"""`medperf server start`: the process that stays in charge of the workers never loads the registry app."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from medperf.cli.local_server import free_port
from medperf.client import wait_until_healthy
from medperf.server.supervisor import HANG_TIMEOUT_ENV, QUICK_EXITS_TO_GIVE_UP, Supervisor, bind

HANG_S = 4


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
    """Whether the process has pydantic's compiled core mapped (the app needs it; the supervisor does not)."""
    return "pydantic_core" in Path(f"/proc/{pid}/maps").read_text()


def _until(condition: object, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    command = [sys.executable, "-m", "medperf.cli.main", "server", "start", "--port", str(port), "--workers", "2"]
    command += ["--database-url", f"sqlite:///{tmp_path / 'registry.db'}"]
    log = (tmp_path / "server.log").open("w")
    env = {**os.environ, "MEDPERF_HOME": str(tmp_path), HANG_TIMEOUT_ENV: str(HANG_S)}
    server = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, timeout_s=180)
        yield server, url
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        log.close()


def test_the_supervisor_of_several_workers_does_not_import_the_app(
    tmp_path: Path, two_workers: tuple[subprocess.Popen[bytes], str]
) -> None:
    server, _ = two_workers
    cmdline = Path(f"/proc/{server.pid}/cmdline").read_text().split("\0")
    assert cmdline[1:3] == ["-m", "medperf.server.supervisor"], cmdline  # the CLI became the supervisor
    children = _children(server.pid)
    assert len(children) == 2 and all(_loads_the_app(pid) for pid in children)  # no resource tracker, no spare
    assert not _loads_the_app(server.pid)
    assert "uvicorn" not in Path(f"/proc/{server.pid}/maps").read_text()
    assert (tmp_path / "registry.db").is_file()  # migrated before serving


def test_a_killed_worker_is_replaced_and_sigterm_stops_every_worker(
    two_workers: tuple[subprocess.Popen[bytes], str],
) -> None:
    server, url = two_workers
    first, second = _children(server.pid)
    os.kill(first, signal.SIGKILL)
    _until(lambda: len(_children(server.pid)) == 2 and first not in _children(server.pid))
    wait_until_healthy(url, timeout_s=60)
    workers = _children(server.pid)
    assert second in workers
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_workers_that_cannot_start_the_app_stop_the_supervisor_instead_of_restarting_forever(tmp_path: Path) -> None:
    env = {**os.environ, "MEDPERF_SERVER_DATABASE_URL": "nosuchdriver://nowhere/registry"}
    command = [sys.executable, "-m", "medperf.server.supervisor", "--port", str(free_port()), "--workers", "2"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 3, done.stderr
    assert "could not start the app" in done.stderr
    assert done.stderr.count("Started worker process") <= 2 + QUICK_EXITS_TO_GIVE_UP


def test_a_worker_that_served_a_while_and_died_is_not_counted_as_a_failed_start() -> None:
    with bind("127.0.0.1", 0) as sock:
        supervisor = Supervisor(sock, 1, "info")
        worker = subprocess.Popen([sys.executable, "-c", "pass"])
        worker.wait()
        for _ in range(QUICK_EXITS_TO_GIVE_UP + 2):
            supervisor.started[worker.pid] = time.monotonic() - 3600
            assert not supervisor.gives_up(worker, 1)
        for attempt in range(QUICK_EXITS_TO_GIVE_UP):
            supervisor.started[worker.pid] = time.monotonic()
            assert supervisor.gives_up(worker, 1) == (attempt == QUICK_EXITS_TO_GIVE_UP - 1)


def test_a_worker_that_exits_before_its_first_beat_is_a_failed_start_however_slow_its_imports() -> None:
    with bind("127.0.0.1", 0) as sock:
        supervisor = Supervisor(sock, 1, "info")
        for attempt in range(QUICK_EXITS_TO_GIVE_UP):
            worker = supervisor.spawn()
            worker.kill()  # it never serves, so it never beats
            worker.wait()
            supervisor.started[worker.pid] = time.monotonic() - 3600  # imports on a loaded machine took long
            gives_up = supervisor.gives_up(worker, 1)
            supervisor.forget(worker)
            assert gives_up == (attempt == QUICK_EXITS_TO_GIVE_UP - 1)


def test_a_hung_worker_is_killed_and_replaced(
    tmp_path: Path, two_workers: tuple[subprocess.Popen[bytes], str]
) -> None:
    server, url = two_workers
    log = tmp_path / "server.log"
    _until(lambda: log.read_text().count("Application startup complete") == 2)  # both serve (and beat)
    first, second = _children(server.pid)
    os.kill(first, signal.SIGSTOP)  # alive, holding the socket, answering nothing: only its silence tells
    _until(lambda: not Path(f"/proc/{first}").exists(), timeout_s=HANG_S + 30)
    _until(lambda: len(_children(server.pid)) == 2)
    assert second in _children(server.pid), "the worker that kept beating was left alone"
    wait_until_healthy(url, timeout_s=60)
    assert server.poll() is None
    assert f"worker [{first}] has not answered for" in log.read_text()


def test_workers_stop_when_their_supervisor_is_killed(two_workers: tuple[subprocess.Popen[bytes], str]) -> None:
    server, _ = two_workers
    workers = _children(server.pid)
    os.kill(server.pid, signal.SIGKILL)  # nothing can forward a signal now: the workers must notice themselves
    server.wait()
    _until(lambda: not any(Path(f"/proc/{pid}").exists() and _state(pid) != "Z" for pid in workers), 30)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
