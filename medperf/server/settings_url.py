"""Normalizing database URLs: `postgresql://` means the psycopg 3 driver."""


def normalize_database_url(url: str) -> str:
    """Map plain `postgres://` / `postgresql://` URLs to `postgresql+psycopg://`; leave others alone."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
