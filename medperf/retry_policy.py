"""The one retry policy of every client of Prefect and of the registry: what is transient, backoff, deadline."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

T = TypeVar("T")

TRANSIENT_STATUSES = frozenset({502, 503, 504})
# A server on SQLite answers a write it could not take with this (Prefect and the registry alike).
DATABASE_LOCKED = "database is locked"


def is_transient_response(status_code: int, body: str = "") -> bool:
    """A gateway error or an unavailable server (502/503/504), or a 5xx whose body says SQLite was locked."""
    return status_code in TRANSIENT_STATUSES or (status_code >= 500 and DATABASE_LOCKED in body)


def is_transient(err: BaseException) -> bool:
    """Whether trying again may succeed: a timeout, a refused or dropped connection, a transient answer
    (also as PrefectHTTPStatusError, a subclass of httpx.HTTPStatusError), the registry client's
    ServerUnavailable, or any of these as the cause of a wrapping error (Prefect's DeploymentApplyError)."""
    from medperf.client.errors import ServerUnavailable

    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError):
            return True
        if isinstance(current, httpx.HTTPStatusError):
            response = current.response
            return is_transient_response(response.status_code, _text(response))
        if isinstance(current, ServerUnavailable):
            return True
        current = current.__cause__ or current.__context__
    return False


def _text(response: httpx.Response) -> str:
    try:
        return response.text[:2000]
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return ""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: attempt n (from 1) waits backoff_s * 2**(n-1), capped at max_backoff_s; at most
    `attempts` tries, and none that would start after `deadline_s` from the first (None: no deadline)."""

    attempts: int = 3
    backoff_s: float = 0.25
    max_backoff_s: float = 4.0
    deadline_s: float | None = None
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    def delay_after(self, attempt: int) -> float:
        """Seconds to wait after the given failed attempt (1-based)."""
        return float(min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s))

    def call(self, action: Callable[[], T], *, transient: Callable[[BaseException], bool] = is_transient) -> T:
        """action(), tried again after a backoff while it fails transiently; the last error is raised as is."""
        end = None if self.deadline_s is None else self.clock() + self.deadline_s
        attempt = 1
        while True:
            try:
                return action()
            except Exception as err:
                delay = self.delay_after(attempt)
                out_of_time = end is not None and self.clock() + delay > end
                if not transient(err) or attempt >= self.attempts or out_of_time:
                    raise
            self.sleep(delay)
            attempt += 1


# The registry client: a request is repeated a few times within seconds (then ServerUnavailable).
REGISTRY_REQUESTS = RetryPolicy(attempts=3, backoff_s=0.25, max_backoff_s=4.0)
# A call to the Prefect server (dispatch, deploy, read runs): a CPU-starved SQLite server can refuse writes
# for a minute; retried with short waits for up to three minutes.
PREFECT_CALLS = RetryPolicy(attempts=1000, backoff_s=0.25, max_backoff_s=4.0, deadline_s=180.0)
NO_RETRY = RetryPolicy(attempts=1)
