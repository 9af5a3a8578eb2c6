"""Cache keys of the site steps, built only from input hashes, and the site folders keyed by them."""

import hashlib
import tempfile
import time
from pathlib import Path


def step_key(step: str, *parts: str) -> str:
    """A key for one step from the hashes of everything it reads (container, data, parameters)."""
    digest = hashlib.sha256("\x1f".join((step, *parts)).encode("utf-8")).hexdigest()
    return f"{step}-{digest[:40]}"


def work_dir(data_root: Path, key: str) -> Path:
    """A new, empty site folder for one run of the step with this key, under `work/<key>/`.

    Every call claims a folder of its own (created atomically), so two runs with the same key (two models
    whose containers have identical content, a retry, a re-dispatch) never write into or delete each other's
    outputs. A cached step keeps pointing at the folder of the run that made it.
    """
    parent = data_root / "work" / key
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%dT%H%M%S-", time.gmtime()), dir=parent))


def result_dir(data_root: Path) -> Path:
    """Where Prefect persists task results on the site (never on the server)."""
    return data_root / "prefect-results"
