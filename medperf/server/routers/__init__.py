"""One FastAPI router per registry resource."""
