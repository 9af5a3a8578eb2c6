"""The unauthenticated liveness endpoint."""

from fastapi import APIRouter

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    """Answer {"status": "ok"} while the server runs."""
    return {"status": "ok"}
