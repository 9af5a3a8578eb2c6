"""Whole-file writes: a reader sees the old file or the new one, and parallel writers of one file never collide."""

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, content: str | bytes, *, mode: int = 0o600, durable: bool = False) -> Path:
    """Write content to path through a temporary file of its own in the same folder, then rename it over path.

    Each call has its own temporary name, so threads or processes writing the same file at once each
    replace it whole (the last rename wins) instead of renaming each other's half-written file. The file
    gets `mode` (private to the site user by default); durable=True flushes it to disk before the rename.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(partial, mode)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path
