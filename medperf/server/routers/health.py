"""The unauthenticated liveness endpoint."""

from medperf.server.routing import GuardedRouter

router = GuardedRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    """Answer {"status": "ok"} while the server runs."""
    return {"status": "ok"}
