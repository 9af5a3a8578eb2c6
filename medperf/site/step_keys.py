"""Cache keys of the site steps, built only from input hashes, and the site folders keyed by them."""

import hashlib
from pathlib import Path


def step_key(step: str, *parts: str) -> str:
    """A key for one step from the hashes of everything it reads (container, data, parameters)."""
    digest = hashlib.sha256("\x1f".join((step, *parts)).encode("utf-8")).hexdigest()
    return f"{step}-{digest[:40]}"


def work_dir(data_root: Path, key: str) -> Path:
    """The site folder where a step with this key writes its outputs."""
    return data_root / "work" / key


def result_dir(data_root: Path) -> Path:
    """Where Prefect persists task results on the site (never on the server)."""
    return data_root / "prefect-results"
