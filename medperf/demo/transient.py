"""The demo's Prefect calls, retried by the project's one retry policy (medperf.retry_policy)."""

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from medperf.retry_policy import PREFECT_CALLS, is_transient

T = TypeVar("T")
RETRY_FOR_S = PREFECT_CALLS.deadline_s or 180.0  # a CPU-starved SQLite Prefect server can refuse writes for a minute
__all__ = ["RETRY_FOR_S", "is_transient", "retrying"]


def retrying(call: Callable[[], T], *, for_s: float = RETRY_FOR_S) -> T:
    """call(), again after a short backoff while it fails transiently, for at most `for_s` seconds."""
    return replace(PREFECT_CALLS, deadline_s=for_s).call(call)
