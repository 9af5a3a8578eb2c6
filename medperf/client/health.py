"""Waiting for a registry server to answer its health check, with a deadline."""

import time

from medperf.client.errors import ServerUnavailable
from medperf.client.registry import RegistryClient
from medperf.client.retry import NO_RETRY


def wait_until_healthy(base_url: str, *, timeout_s: float = 30.0, poll_s: float = 0.1) -> None:
    """Return once GET /health answers ok; ServerUnavailable naming the URL after timeout_s."""
    deadline = time.monotonic() + timeout_s
    with RegistryClient(base_url, None, timeout=2.0, retry=NO_RETRY) as client:
        while True:
            if client.is_reachable():
                return
            if time.monotonic() >= deadline:
                raise ServerUnavailable(base_url, f"no healthy answer within {timeout_s:.0f} s")
            time.sleep(poll_s)
