"""Which registry requests may safely be repeated; when and how long is the project's one policy."""

from medperf.retry_policy import NO_RETRY, REGISTRY_REQUESTS, TRANSIENT_STATUSES, RetryPolicy

RETRYABLE_STATUSES = TRANSIENT_STATUSES
__all__ = ["NO_RETRY", "REGISTRY_REQUESTS", "RETRYABLE_STATUSES", "RetryPolicy", "is_idempotent"]


def is_idempotent(method: str, body: object) -> bool:
    """GET is always safe to repeat; a POST only when it carries a client_key (the server deduplicates)."""
    if method.upper() == "GET":
        return True
    if method.upper() == "POST" and isinstance(body, dict):
        return bool(body.get("client_key"))
    return False
