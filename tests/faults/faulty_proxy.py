"""An HTTP proxy in front of a real server that injects faults: answers 503/500 or answers too late."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length", "upgrade"}


@dataclass(frozen=True)
class Fault:
    """What the proxy does to one request: answer `status` without forwarding, or forward and answer late."""

    status: int | None = None
    delay_s: float = 0.0


# (method, path, how many earlier requests matched the same rule's method and path) -> a fault or None
FaultRule = Callable[[str, str, int], Fault | None]


@dataclass
class ProxyLog:
    """Requests seen, by (method, path), and the faults injected."""

    seen: dict[tuple[str, str], int] = field(default_factory=dict)
    injected: list[tuple[str, str, Fault]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def faulty_proxy(upstream: str, rule: FaultRule) -> Iterator[tuple[str, ProxyLog]]:
    """Serve on 127.0.0.1 a proxy of `upstream` (its base URL, e.g. http://127.0.0.1:4200); yields (url, log)."""
    log = ProxyLog()
    client = httpx.Client(base_url=upstream, timeout=60.0)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            with log.lock:
                count = log.seen.get((self.command, path), 0)
                log.seen[(self.command, path)] = count + 1
            fault = rule(self.command, path, count)
            if fault is not None and fault.status is not None:
                log.injected.append((self.command, path, fault))
                self._answer(fault.status, {"content-type": "application/json"}, b'{"detail": "injected fault"}')
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
            upstream_response = client.request(self.command, self.path, content=body, headers=headers)
            if fault is not None and fault.delay_s:
                log.injected.append((self.command, path, fault))
                time.sleep(fault.delay_s)  # the server did the work; the client gave up waiting
            kept = {k: v for k, v in upstream_response.headers.items() if k.lower() not in HOP_BY_HOP}
            self._answer(upstream_response.status_code, kept, upstream_response.content)

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and left

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()
        client.close()
