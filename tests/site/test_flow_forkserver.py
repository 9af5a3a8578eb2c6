"""The worker's fork server and the flow-run launcher: warm runs behave as the process Prefect would start."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from medperf.site.flow_forkserver import EXTRA_PRELOAD_ENV, IDLE_ENV
from medperf.site.flow_launcher import HEADER, LOG_ENV, SOCKET_ENV
from medperf.site.warm_worker import WARM_START_ENV, warm_start_enabled

PROBE = Path(__file__).with_name("forkserver_probe.py")
READY_S = 90


def wait_for(condition: object, what: str, deadline_s: float = READY_S) -> None:
    """Poll `condition()` until true; fail naming `what`."""
    deadline = time.monotonic() + deadline_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"{what} within {deadline_s} s"
        time.sleep(0.05)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie has ended


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, subprocess.Popen[bytes]]]:
    """A fork server whose forked processes run the probe instead of Prefect's engine."""
    folder = tmp_path_factory.mktemp("fs")
    os.chmod(folder, 0o700)
    path = folder / "s.sock"
    log = (folder / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "medperf.site.flow_forkserver", str(path), str(os.getpid()),
                             str(PROBE)], cwd=folder, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, EXTRA_PRELOAD_ENV: "xml.dom.minidom, no_such_module_xyz"})
    try:
        wait_for(path.exists, "the fork server listens")
        yield path, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def launch(path: Path | None, cwd: Path, **env: str) -> subprocess.Popen[str]:
    full = {k: v for k, v in os.environ.items() if k != SOCKET_ENV}
    if path is not None:
        full[SOCKET_ENV] = str(path)
    return subprocess.Popen([sys.executable, "-m", "medperf.site.flow_launcher", "run-id-arg"], cwd=cwd,
                            env={**full, **env}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_warm_run_gets_the_launchers_environment_folder_arguments_stdio_and_exit_code(
    server: tuple[Path, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    path, proc = server
    launcher = launch(path, tmp_path, PROBE_VALUE="from-the-run", PROBE_EXIT="3")
    out, err = launcher.communicate("to-the-run", timeout=60)
    assert launcher.returncode == 3, err
    seen = json.loads(out)
    assert seen["ppid"] == proc.pid  # forked by the server: warm, not a new interpreter
    assert seen["argv"] == ["run-id-arg"]
    assert seen["cwd"] == str(tmp_path)
    assert seen["value"] == "from-the-run"
    assert seen["stdin"] == "to-the-run"
    assert seen["preloaded"]  # the site's extra module was imported before the fork
    assert seen["pandas"]  # the case tables' library too: a run does not import it again
    server_log = (path.parent / "server.log").read_text()
    assert "not preloaded: no_such_module_xyz: ModuleNotFoundError" in server_log, server_log


def test_sigterm_to_the_launcher_reaches_the_run_and_the_launcher_ends_as_it_did(
    server: tuple[Path, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    launcher = launch(server[0], tmp_path, PROBE_MODE="sleep")
    assert launcher.stdout is not None
    run_pid = json.loads(launcher.stdout.readline())["pid"]
    launcher.send_signal(signal.SIGTERM)
    assert launcher.wait(timeout=30) == -signal.SIGTERM
    wait_for(lambda: gone(run_pid), "the run ended", 10)


def test_a_killed_launcher_takes_its_run_with_it(server: tuple[Path, subprocess.Popen[bytes]], tmp_path: Path) -> None:
    launcher = launch(server[0], tmp_path, PROBE_MODE="sleep")
    assert launcher.stdout is not None
    run_pid = json.loads(launcher.stdout.readline())["pid"]
    launcher.kill()
    launcher.wait(timeout=30)
    wait_for(lambda: gone(run_pid), "the server killed the orphaned run", 10)


@pytest.mark.parametrize("socket_path", [None, "missing"])
def test_without_a_server_the_launcher_becomes_prefects_engine(tmp_path: Path, socket_path: str | None) -> None:
    launcher = launch(None if socket_path is None else tmp_path / socket_path, tmp_path)
    _, err = launcher.communicate("", timeout=120)
    assert launcher.returncode == 1
    assert "Invalid flow run id" in err  # prefect.engine itself judged the argument "run-id-arg"


def environ_of(pid: int) -> dict[str, str]:
    pairs = (item.partition("=") for item in Path(f"/proc/{pid}/environ").read_text().split("\0") if item)
    return {key: value for key, _, value in pairs}


def test_the_server_stops_taking_runs_once_its_worker_is_gone(tmp_path: Path) -> None:
    worker = subprocess.Popen([sys.executable, "-m", "medperf.site.warm_worker", "sleep", "300"], cwd=tmp_path,
                              env={k: v for k, v in os.environ.items() if k != WARM_START_ENV})
    try:
        wait_for(lambda: SOCKET_ENV in environ_of(worker.pid), "the worker command runs with the socket named")
        path = Path(environ_of(worker.pid)[SOCKET_ENV])
        wait_for(path.exists, "the fork server listens")
    finally:
        worker.kill()
        worker.wait()
    wait_for(lambda: not path.parent.exists(), "the server removed its socket folder", 10)


def test_warm_start_can_be_turned_off(tmp_path: Path) -> None:
    assert warm_start_enabled({}) and warm_start_enabled({WARM_START_ENV: "1"})
    assert not any(warm_start_enabled({WARM_START_ENV: v}) for v in ("0", "false", "Off", "no"))
    worker = subprocess.Popen([sys.executable, "-m", "medperf.site.warm_worker", "sleep", "300"], cwd=tmp_path,
                              env={**os.environ, WARM_START_ENV: "0"})
    try:
        wait_for(lambda: "sleep" in Path(f"/proc/{worker.pid}/cmdline").read_text(), "the worker command runs")
        assert SOCKET_ENV not in environ_of(worker.pid)
    finally:
        worker.kill()
        worker.wait()


def test_a_malformed_request_is_refused_and_the_server_goes_on(
    server: tuple[Path, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    for payload in (b"not json", b'{"env": {}}', b"[]"):
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(30)
        conn.connect(str(server[0]))
        socket.send_fds(conn, [HEADER.pack(len(payload))], [0, 1, 2])
        conn.sendall(payload)
        assert conn.recv(5) == b""  # closed: no run was forked for it
        conn.close()
    launcher = launch(server[0], tmp_path, PROBE_VALUE="after")
    out, err = launcher.communicate("", timeout=60)
    assert launcher.returncode == 0, err
    assert json.loads(out)["ppid"] == server[1].pid


def test_an_idle_server_exits_and_the_next_run_starts_it_again(tmp_path: Path) -> None:
    folder = tmp_path / "warm"
    folder.mkdir(mode=0o700)
    path, log = folder / "s.sock", tmp_path / "worker.log"
    env = {**os.environ, IDLE_ENV: "1.5", LOG_ENV: str(log)}
    with log.open("ab") as out:
        first = subprocess.Popen([sys.executable, "-m", "medperf.site.flow_forkserver", str(path), str(os.getpid()),
                                  str(PROBE)], cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for(path.exists, "the fork server listens")
    assert first.wait(timeout=60) == 0  # no run for 1.5 s: it exited
    assert not path.exists() and folder.exists()  # its folder stays for the next server

    cold = subprocess.run([sys.executable, "-m", "medperf.site.flow_launcher", "run-id-arg"], cwd=tmp_path,
                          env={**env, SOCKET_ENV: str(path)}, capture_output=True, text=True, timeout=120)
    assert "Invalid flow run id" in cold.stderr  # this run started cold, as Prefect's engine ...
    # ... and started the server again for the next runs. Its socket may have come and gone (idle after 1.5 s)
    # while the cold engine still ran on a loaded machine, so its lines in the worker's log are the evidence.
    wait_for(lambda: log.read_text().count("start warm") == 2, "the second server's ready line in the worker log")
    wait_for(lambda: log.read_text().count("exiting") == 2, "the second server exits when idle too")
    assert not path.exists() and folder.exists()

