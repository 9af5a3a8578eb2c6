"""When and how long the client waits before retrying a request that may safely be repeated."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

RETRYABLE_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: attempt n (from 1) waits backoff_s * 2**(n-1), capped at max_backoff_s."""

    attempts: int = 3
    backoff_s: float = 0.25
    max_backoff_s: float = 4.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def delay_after(self, attempt: int) -> float:
        """Seconds to wait after the given failed attempt (1-based)."""
        return float(min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s))


NO_RETRY = RetryPolicy(attempts=1)


def is_idempotent(method: str, body: object) -> bool:
    """GET is always safe to repeat; a POST only when it carries a client_key (the server deduplicates)."""
    if method.upper() == "GET":
        return True
    if method.upper() == "POST" and isinstance(body, dict):
        return bool(body.get("client_key"))
    return False
