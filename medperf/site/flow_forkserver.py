"""A site worker's fork server: imports Prefect and the flows once, then forks a warm process per flow run."""

import atexit
import contextlib
import fcntl
import importlib
import json
import os
import pkgutil
import runpy
import selectors
import shutil
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from medperf.process_alive import process_alive
from medperf.site.flow_launcher import HEADER, PID_FILE, read_exact

# What every run process imports: Prefect's engine, pandas (the case tables of prepare and evaluate runs: 1.7 s
# of CPU per run when each run imported it) and the site's flows (84 MB resident here, shared with the forked
# runs). Great Expectations (3 s to import, 212 MB more) is imported by the prepare runs that use it; a site
# that prepares often names it in MEDPERF_SITE_WARM_PRELOAD (comma-separated modules) to preload it too.
# None of these starts a Python thread at import (numpy's BLAS pool handles fork itself).
PRELOAD = ("prefect.engine", "prefect.flow_engine", "prefect.task_engine", "pandas")
EXTRA_PRELOAD_ENV = "MEDPERF_SITE_WARM_PRELOAD"
REQUEST_TIMEOUT_S = 10
POLL_S = 0.5
PEERCRED = struct.Struct("3i")  # pid, uid, gid
IDLE_ENV = "MEDPERF_SITE_WARM_IDLE_S"
DEFAULT_IDLE_S = 600.0  # after 10 minutes without a run the server exits (the worker alone is ~96 MB)
LOCK_FILE = "lock"  # held by the one server of the folder for its life
ENGINE = "prefect.engine"


def preload(repo_dir: Path) -> list[str]:
    """Import PRELOAD and every module of the repository's `flows` package; returns what failed (named)."""
    failed = []
    flows = repo_dir / "flows"
    names = list(PRELOAD) + [name.strip() for name in os.environ.get(EXTRA_PRELOAD_ENV, "").split(",") if name.strip()]
    if flows.is_dir():
        names += [f"flows.{info.name}" for info in pkgutil.iter_modules([str(flows)])]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as err:  # a run that needs it imports it itself, as without the server
            failed.append(f"{name}: {type(err).__name__}: {err}")
    if "medperf.client.http" in sys.modules:  # the registry clients' one TLS context, loaded once for all runs
        sys.modules["medperf.client.http"]._tls_context()
    try:  # and the Prefect clients' (each run creates about eight): loaded here once, shared by every fork
        from medperf.prefect_tls import load_prefect_tls_context

        load_prefect_tls_context()
    except Exception as err:  # noqa: BLE001 - a run then loads its own, as without the server
        failed.append(f"medperf.prefect_tls: {type(err).__name__}: {err}")
    return failed


@dataclass
class Server:
    """The listening socket, the forked runs (pid -> their launcher's connection) and whether to accept more."""

    path: Path
    worker_pid: int
    listener: socket.socket
    selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)
    runs: dict[int, socket.socket] = field(default_factory=dict)
    accepting: bool = True
    target: str = ENGINE  # what each forked process runs as __main__: a module name, or a .py file (tests)
    idle_s: float = DEFAULT_IDLE_S
    last_active: float = field(default_factory=time.monotonic)
    lock_fd: int = -1  # the folder's lock; a forked run closes its copy (the next server needs the lock)

    def stop_accepting(self, worker_gone: bool = False) -> None:
        """No new runs; the running ones are still reported. The next launcher starts a new server, unless the
        worker is gone (then the socket's folder goes too)."""
        if self.accepting:
            self.accepting = False
            self.selector.unregister(self.listener)
            self.listener.close()
            for name in (self.path.name, PID_FILE):
                (self.path.parent / name).unlink(missing_ok=True)
        if worker_gone:
            shutil.rmtree(self.path.parent, ignore_errors=True)

    def idle(self) -> bool:
        """No run for idle_s: the server exits and gives its memory back."""
        return not self.runs and time.monotonic() - self.last_active > self.idle_s


def same_user(conn: socket.socket) -> bool:
    """Only a process of this server's own user may ask it to start a run."""
    _, uid, _ = PEERCRED.unpack(conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, PEERCRED.size))
    return uid == os.getuid()


def read_request(conn: socket.socket) -> tuple[list[int], dict[str, Any]]:
    """The launcher's stdin/stdout/stderr and its request (environment, folder, arguments)."""
    conn.settimeout(REQUEST_TIMEOUT_S)
    data, fds, _, _ = socket.recv_fds(conn, HEADER.size, 3)
    try:
        data += read_all(conn, HEADER.size - len(data))
        req = json.loads(read_all(conn, HEADER.unpack(data)[0]))
        if len(fds) != 3:
            raise ValueError(f"expected 3 file descriptors, got {len(fds)}")
        if not (isinstance(req, dict) and isinstance(req.get("env"), dict) and isinstance(req.get("cwd"), str)
                and isinstance(req.get("argv"), list)):
            raise ValueError("a request needs env (object), cwd (string) and argv (list)")
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return fds, req


def read_all(conn: socket.socket, size: int) -> bytes:
    """`size` bytes from the launcher (the launcher's own reader; a closed connection is an error here)."""
    data = read_exact(conn, size)
    if data is None:
        raise ConnectionError("the launcher closed the connection")
    return data


def accept(server: Server) -> None:
    """Take one launcher's request and fork its run; a bad request closes the connection (it runs cold)."""
    conn, _ = server.listener.accept()
    fds: list[int] = []
    try:
        if not same_user(conn):
            raise PermissionError("another user's process")
        fds, req = read_request(conn)
        sys.stdout.flush()
        sys.stderr.flush()
        # SIGTERM waits until both sides are set: our handler must never run in the child (it would close and
        # remove the server's socket).
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        try:
            pid = os.fork()
            if pid == 0:
                run_child(server, conn, fds, req)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        try:
            conn.sendall(b"P" + HEADER.pack(pid))
        except OSError:
            os.kill(pid, signal.SIGKILL)  # its launcher is gone before it heard of the run: nobody would wait
            raise
    except (OSError, ValueError) as err:
        print(f"[medperf fork server] a run could not start warm ({err}); it starts cold", file=sys.stderr)
        conn.close()
        return
    finally:
        for fd in fds:
            os.close(fd)
    conn.setblocking(False)
    server.runs[pid] = conn
    server.selector.register(conn, selectors.EVENT_READ, pid)


def run_child(server: Server, conn: socket.socket, fds: list[int], req: dict[str, Any]) -> NoReturn:
    """In the forked process: become the launcher's engine process (its stdio, environment, folder, argv)."""
    code: Any = 1
    try:
        for signum in (signal.SIGTERM, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        server.selector.close()
        if server.accepting:
            server.listener.close()
        for other in server.runs.values():
            other.close()
        conn.close()
        if server.lock_fd >= 0:
            os.close(server.lock_fd)
        for std, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, std)
        for fd in set(fds) - {0, 1, 2}:
            os.close(fd)
        cwd = str(req["cwd"])
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in req["env"].items()})
        sys.path[0] = cwd  # as `python -m` started in that folder
        sys.argv = [sys.argv[0], *[str(arg) for arg in req["argv"]]]
        import prefect.context
        import prefect.logging.configuration

        prefect.context.refresh_global_settings_context()  # the run's PREFECT_* variables, not ours
        prefect.logging.configuration.setup_logging()
        warnings.filterwarnings("ignore", message=".*found in sys.modules.*", category=RuntimeWarning)
        if server.target.endswith(".py"):
            runpy.run_path(server.target, run_name="__main__")
        else:
            runpy.run_module(server.target, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        os._exit(finish(code))


def finish(code: Any) -> int:
    """What the interpreter does at exit, in the forked process: join threads, run atexit, flush, the code."""
    with contextlib.suppress(BaseException):
        for thread in threading.enumerate():
            if thread is not threading.main_thread() and not thread.daemon:
                thread.join()
    with contextlib.suppress(BaseException):
        atexit._run_exitfuncs()
    if code is None:
        code = 0
    elif not isinstance(code, int):
        with contextlib.suppress(BaseException):
            print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()
    return int(code) & 0xFF


def reap(server: Server) -> None:
    """Report each finished run's wait status to its launcher."""
    while server.runs:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = server.runs.pop(pid, None)
        if conn is None:
            continue
        server.selector.unregister(conn)
        with contextlib.suppress(OSError):
            conn.setblocking(True)
            conn.sendall(b"S" + HEADER.pack(status))
        conn.close()


def launcher_gone(server: Server, conn: socket.socket, pid: int) -> None:
    """A launcher closed its connection before its run ended: it was killed, so the run is killed too."""
    with contextlib.suppress(OSError):
        if conn.recv(1):
            return  # launchers send nothing after the request; ignore stray bytes
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def serve(server: Server) -> None:
    """Fork runs until the worker is gone, SIGTERM arrives or no run came for idle_s; then report the runs still
    going, then exit."""
    signal.signal(signal.SIGTERM, lambda *_: server.stop_accepting(worker_gone=True))  # the site is stopping
    server.selector.register(server.listener, selectors.EVENT_READ, None)
    while server.accepting or server.runs:
        for key, _ in server.selector.select(timeout=POLL_S):
            if key.data is None:
                accept(server)
            else:
                launcher_gone(server, key.fileobj, key.data)  # type: ignore[arg-type]
            server.last_active = time.monotonic()
        if server.runs:
            server.last_active = time.monotonic()
        reap(server)
        if server.accepting and not process_alive(server.worker_pid):
            server.stop_accepting(worker_gone=True)
        elif server.accepting and server.idle():
            print(f"[medperf fork server] no run for {server.idle_s:.0f} s: exiting (the next run starts it again)",
                  file=sys.stderr, flush=True)
            server.stop_accepting()
    if not process_alive(server.worker_pid):
        shutil.rmtree(server.path.parent, ignore_errors=True)


def idle_seconds() -> float:
    """MEDPERF_SITE_WARM_IDLE_S, or the default; a value that is not a positive number is the default."""
    try:
        value = float(os.environ.get(IDLE_ENV, DEFAULT_IDLE_S))
    except ValueError:
        return DEFAULT_IDLE_S
    return value if value > 0 else DEFAULT_IDLE_S


def main(argv: list[str]) -> int:
    """`python -m medperf.site.flow_forkserver SOCKET_PATH WORKER_PID [TARGET]`: preload, listen, serve.

    One server per folder: a second one started at the same moment (two launchers found none) exits at once.
    """
    path, worker_pid = Path(argv[0]), int(argv[1])
    target = argv[2] if len(argv) > 2 else ENGINE
    try:
        lock = os.open(path.parent / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # another server has the folder (or the folder is gone with its worker)
    (path.parent / PID_FILE).write_text(str(os.getpid()))  # launchers wait for the preload instead of racing it
    began = time.monotonic()
    failed = preload(Path.cwd())
    for line in failed:
        print(f"[medperf fork server] not preloaded: {line}", file=sys.stderr)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    bound = path.with_name(path.name + ".tmp")  # the socket appears under its name only once it listens
    bound.unlink(missing_ok=True)
    listener.bind(str(bound))
    os.chmod(bound, 0o600)
    listener.listen(64)
    os.rename(bound, path)
    server = Server(path=path, worker_pid=worker_pid, listener=listener, target=target, idle_s=idle_seconds(),
                    lock_fd=lock)
    print(f"[medperf fork server] ready in {time.monotonic() - began:.1f} s (pid {os.getpid()}): the site's runs "
          "start warm", file=sys.stderr, flush=True)
    try:
        serve(server)
    finally:
        server.stop_accepting()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
