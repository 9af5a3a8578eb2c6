"""The unauthenticated liveness endpoint."""

from fastapi import APIRouter

from medperf.server.routing import GuardedRoute

router = APIRouter(tags=["health"], route_class=GuardedRoute)


@router.get("/health")
def health() -> dict[str, str]:
    """Answer {"status": "ok"} while the server runs."""
    return {"status": "ok"}
