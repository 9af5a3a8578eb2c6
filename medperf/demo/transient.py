"""Retry Prefect API calls that fail for a moment (the embedded SQLite Prefect server answers 503 when busy)."""

import time
from collections.abc import Callable
from typing import TypeVar

import httpx

T = TypeVar("T")
RETRY_FOR_S = 180.0  # a CPU-starved SQLite Prefect server can refuse writes for a minute


def is_transient(err: BaseException) -> bool:
    """A 5xx answer, a timeout or a dropped connection: worth trying again."""
    from prefect.exceptions import PrefectHTTPStatusError

    if isinstance(err, PrefectHTTPStatusError | httpx.HTTPStatusError):
        return err.response.status_code >= 500
    if isinstance(err, httpx.TransportError):
        return True
    # Prefect wraps some answers (e.g. DeploymentApplyError "Server error '503 ...'"); look at the cause
    cause = err.__cause__ or err.__context__
    if cause is not None and cause is not err:
        return is_transient(cause)
    return "Server error '5" in str(err)


def retrying(call: Callable[[], T], *, for_s: float = RETRY_FOR_S) -> T:
    """call(), again after a short backoff while it fails transiently, for at most `for_s` seconds."""
    end, delay = time.monotonic() + for_s, 0.25
    while True:
        try:
            return call()
        except Exception as err:
            if not is_transient(err) or time.monotonic() + delay > end:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 4.0)
