"""A small supervisor for several registry workers: binds the socket, starts, restarts and stops them (stdlib only)."""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

STARTUP_FAILURE = 3  # the exit code when the workers cannot start the app: restarting would fail the same way
RESTART_PAUSE_S = 1.0
QUICK_EXIT_S = 10.0  # a worker that dies this soon after its start counts as failing to start
QUICK_EXITS_TO_GIVE_UP = 3
HANG_TIMEOUT_S = 30.0  # a serving worker whose event loop has not beaten for this long is killed and replaced
HANG_TIMEOUT_ENV = "MEDPERF_SERVER_WORKER_HANG_S"
STARTUP_TIMEOUT_S = 120.0  # a worker that has not beaten once this long after its start is stuck starting


def bind(host: str, port: int) -> socket.socket:
    """The listening socket every worker inherits and accepts on (the kernel spreads connections)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def worker_command(fd: int, log_level: str, heartbeat_fd: int) -> list[str]:
    """One worker: uvicorn serving the registry app on the inherited socket, beating on heartbeat_fd."""
    return [sys.executable, "-m", "medperf.server.worker", "--fd", str(fd), "--heartbeat-fd", str(heartbeat_fd),
            "--log-level", log_level]


def say(message: str) -> None:
    """One line to stderr, as uvicorn's own supervisor logs."""
    print(f"INFO:     {message}", file=sys.stderr, flush=True)


class Supervisor:
    """Keeps `count` workers alive until SIGTERM or SIGINT, then stops them all."""

    def __init__(self, sock: socket.socket, count: int, log_level: str, hang_timeout_s: float = HANG_TIMEOUT_S) -> None:
        self.log_level = log_level
        self.fd = sock.fileno()
        self.hang_timeout_s = hang_timeout_s
        self.beats: dict[int, tuple[int, float | None]] = {}  # pid -> (read end of its pipe, last beat or None)
        host, port = sock.getsockname()[:2]
        self.address = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        self.count = count
        self.workers: list[subprocess.Popen[bytes]] = []
        self.started: dict[int, float] = {}
        self.quick_exits = 0
        self.stopping = False

    def spawn(self) -> subprocess.Popen[bytes]:
        read_end, write_end = os.pipe()
        os.set_blocking(read_end, False)
        try:
            command = worker_command(self.fd, self.log_level, write_end)
            worker = subprocess.Popen(command, pass_fds=(self.fd, write_end))
        finally:
            os.close(write_end)  # the worker holds the only write end: its death breaks the pipe
        self.started[worker.pid] = time.monotonic()
        self.beats[worker.pid] = (read_end, None)
        say(f"Started worker process [{worker.pid}]")
        return worker

    def read_beats(self, worker: subprocess.Popen[bytes]) -> float | None:
        """Read what the worker's pipe holds; the time of its last beat, or None if it never beat."""
        read_end, last = self.beats.get(worker.pid, (None, None))
        if read_end is None:
            return last
        try:
            while os.read(read_end, 4096):
                last = time.monotonic()
        except BlockingIOError:
            pass
        self.beats[worker.pid] = (read_end, last)
        return last

    def hung(self, worker: subprocess.Popen[bytes]) -> str | None:
        """Read the worker's beats; why it counts as hung (silent for hang_timeout_s, or never started), or None."""
        last = self.read_beats(worker)
        now = time.monotonic()
        if last is None:
            waited = now - self.started.get(worker.pid, now)
            return f"has not started serving in {waited:.0f} s" if waited > STARTUP_TIMEOUT_S else None
        return f"has not answered for {now - last:.0f} s" if now - last > self.hang_timeout_s else None

    def forget(self, worker: subprocess.Popen[bytes]) -> None:
        """Close the read end of an exited worker's pipe."""
        read_end, _ = self.beats.pop(worker.pid, (None, None))
        if read_end is not None:
            os.close(read_end)

    def gives_up(self, worker: subprocess.Popen[bytes], exit_code: int) -> bool:
        """Whether the workers cannot start the app at all (a broken install, an unreachable database).

        A worker that exited before its first beat failed to start, however long its imports took (on a loaded
        machine they took over QUICK_EXIT_S, and a broken database URL restarted workers forever); one that
        died within QUICK_EXIT_S of its start counts as failing too.
        """
        never_served = worker.pid in self.beats and self.read_beats(worker) is None
        lived = time.monotonic() - self.started.pop(worker.pid, 0.0)
        failed_start = never_served or lived < QUICK_EXIT_S
        self.quick_exits = self.quick_exits + 1 if failed_start else 0
        return exit_code == STARTUP_FAILURE or self.quick_exits >= QUICK_EXITS_TO_GIVE_UP

    def stop(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def run(self) -> int:
        """Serve until told to stop; 3 if a worker could not start the app, else 0."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        say(f"Started supervisor process [{os.getpid()}], serving on {self.address}")
        self.workers = [self.spawn() for _ in range(self.count)]
        code = 0
        while not self.stopping:
            time.sleep(0.2)
            for index, worker in enumerate(self.workers):
                exit_code = worker.poll()
                why = None if exit_code is not None or self.stopping else self.hung(worker)
                if why:
                    say(f"worker [{worker.pid}] {why}; killing it")
                    worker.kill()
                    exit_code = worker.wait()
                    if self.beats[worker.pid][1] is not None:
                        self.started[worker.pid] = 0.0  # it served: not a failed start
                if exit_code is None or self.stopping:
                    continue
                gives_up = self.gives_up(worker, exit_code)  # reads the pipe's last beats first
                self.forget(worker)
                if gives_up:
                    say(f"worker [{worker.pid}] could not start the app (exit {exit_code}); see above, stopping")
                    self.stopping, code = True, STARTUP_FAILURE
                    break
                say(f"worker [{worker.pid}] exited with {exit_code}; starting another")
                time.sleep(RESTART_PAUSE_S)
                self.workers[index] = self.spawn()
        self.shutdown()
        return code

    def shutdown(self, grace_s: float = 30.0) -> None:
        """SIGTERM to every worker (uvicorn finishes requests in flight), SIGKILL after the grace period."""
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
        deadline = time.monotonic() + grace_s
        for worker in self.workers:
            try:
                worker.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        say("Stopped supervisor process")


def main(argv: list[str] | None = None) -> int:
    """`python -m medperf.server.supervisor --host H --port P --workers N`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--hang-timeout", type=float, default=None,
                        help=f"seconds a serving worker may go without a heartbeat before it is replaced "
                        f"(default ${HANG_TIMEOUT_ENV}, else {HANG_TIMEOUT_S:.0f})")
    args = parser.parse_args(argv)
    if args.hang_timeout is None:
        try:
            args.hang_timeout = float(os.environ.get(HANG_TIMEOUT_ENV, HANG_TIMEOUT_S))
        except ValueError:
            parser.error(f"${HANG_TIMEOUT_ENV} must be a number of seconds, not {os.environ[HANG_TIMEOUT_ENV]!r}")
    if args.hang_timeout <= 0:
        parser.error("the hang timeout must be above 0 seconds")
    with bind(args.host, args.port) as sock:
        return Supervisor(sock, args.workers, args.log_level, args.hang_timeout).run()


if __name__ == "__main__":
    sys.exit(main())
