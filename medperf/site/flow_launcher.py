"""A site's flow-run command: asks the worker's fork server for a warm engine process, else starts the engine."""

# Only the standard library: this runs once per flow run and must start in milliseconds. The worker runs it as
# `python -m medperf.site.flow_launcher` (the job variable `command` of a process pool's deployments) with the
# run's environment. When the worker was started with a fork server beside it (medperf.site.warm_worker), the
# launcher hands its stdin/stdout/stderr, environment and working folder to the server, which forks a process
# that has Prefect, pandas and the flows imported already; the launcher forwards SIGTERM/SIGINT to it
# and exits with its status, so the worker sees one process as before. Without a server, or when the server
# cannot take the run, the launcher becomes `python -m prefect.engine` (exec, same pid) exactly as Prefect does;
# when the server had exited (it does after MEDPERF_SITE_WARM_IDLE_S without a run), the launcher starts it again
# first, so the runs after this one start warm.

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time

SOCKET_ENV = "MEDPERF_FLOW_FORKSERVER"
LOG_ENV = "MEDPERF_FLOW_FORKSERVER_LOG"  # the worker's log, where a fork server started by a launcher writes
HEADER = struct.Struct("!I")
FORWARDED = (signal.SIGTERM, signal.SIGINT)
PID_FILE = "pid"  # beside the socket: the server's pid, written before it imports (its socket comes after)
PRELOAD_WAIT_S = 60  # a run that arrives while the server imports waits for it rather than importing beside it


def exec_engine(argv: list[str]) -> None:
    """Become Prefect's engine process (the path without a fork server)."""
    os.execv(sys.executable, [sys.executable, "-m", "prefect.engine", *argv])


def request(argv: list[str]) -> bytes:
    """What the server needs to start the run as this process would: environment, folder, arguments."""
    return json.dumps({"env": dict(os.environ), "cwd": os.getcwd(), "argv": argv}).encode()


def read_exact(conn: socket.socket, size: int) -> bytes | None:
    """`size` bytes, or None when the server closed the connection first."""
    data = b""
    while len(data) < size:
        try:
            chunk = conn.recv(size - len(data))
        except InterruptedError:  # pragma: no cover - PEP 475 retries; kept for clarity
            continue
        if not chunk:
            return None
        data += chunk
    return data


def server_starting(path: str) -> bool:
    """Whether the server named beside the socket runs but does not listen yet (it is importing)."""
    try:
        with open(os.path.join(os.path.dirname(path), PID_FILE)) as file:
            os.kill(int(file.read()), 0)
    except (OSError, ValueError):
        return False
    return not os.path.exists(path)


def connect(path: str) -> socket.socket:
    """A connection to the server; waits while it is still importing (PRELOAD_WAIT_S at most)."""
    deadline = time.monotonic() + PRELOAD_WAIT_S
    while True:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.settimeout(10)
            conn.connect(path)
            return conn
        except OSError:
            conn.close()
            if time.monotonic() > deadline or not server_starting(path):
                raise
            time.sleep(0.05)


def start_warm(path: str, argv: list[str]) -> tuple[socket.socket, int] | None:
    """The connection and pid of the forked engine process, or None when the server cannot take the run."""
    try:
        conn = connect(path)
    except OSError:
        return None
    try:
        payload = request(argv)
        socket.send_fds(conn, [HEADER.pack(len(payload))], [0, 1, 2])
        conn.sendall(payload)
        reply = read_exact(conn, 1 + HEADER.size)
    except OSError:
        conn.close()
        return None
    if reply is None or reply[:1] != b"P":
        conn.close()
        return None
    conn.settimeout(None)
    return conn, HEADER.unpack(reply[1:])[0]


def start_server(path: str) -> None:
    """Start the worker's fork server again, in the worker's process group, logging where the worker logs."""
    if not os.path.isdir(os.path.dirname(path)):
        return  # the worker is gone (its server removed the folder) or warm start is off
    log = os.environ.get(LOG_ENV, "")
    try:
        out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600) if log else subprocess.DEVNULL
    except OSError:
        out = subprocess.DEVNULL
    try:
        subprocess.Popen([sys.executable, "-m", "medperf.site.flow_forkserver", path, str(os.getppid())],
                         stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    except OSError:
        pass
    finally:
        if out != subprocess.DEVNULL:
            os.close(out)


def wait_gone(pid: int) -> None:
    """Wait for a process that is not our child (the server was lost before it reported the status)."""
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)


def exit_like(status: int) -> None:
    """Exit as the forked process did: its exit code, or the signal that ended it."""
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        time.sleep(1)
        code = 128 - code
    sys.exit(code)


def main() -> None:
    """Run the flow run in a warm process when the worker has a fork server; Prefect's engine otherwise."""
    argv = sys.argv[1:]
    path = os.environ.get(SOCKET_ENV, "")
    started = start_warm(path, argv) if path else None
    if started is None:
        if path:
            start_server(path)  # it exited when idle (or failed): this run starts cold, the next ones warm
        exec_engine(argv)
        return
    conn, pid = started
    for signum in FORWARDED:
        signal.signal(signum, lambda received, _frame: os.kill(pid, received))
    reply = read_exact(conn, 1 + HEADER.size)
    if reply is None or reply[:1] != b"S":
        wait_gone(pid)
        sys.exit(1)  # the server was lost: the run's own state (on Prefect and the site) says how it ended
    exit_like(HEADER.unpack(reply[1:])[0])


if __name__ == "__main__":
    main()
