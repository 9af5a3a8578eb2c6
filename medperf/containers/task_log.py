"""Per-task, per-run log files on the site (log_dir/<task>-<timestamp>.log) and their last lines."""

from datetime import UTC, datetime
from pathlib import Path

TAIL_LINES = 20
_TAIL_BYTES = 16 * 1024


def new_log_path(log_dir: Path, task: str) -> Path:
    """A fresh log file path for one run of a task; creates log_dir."""
    log_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = log_dir / f"{task}-{stamp}.log"
    counter = 1
    while path.exists():
        path = log_dir / f"{task}-{stamp}-{counter}.log"
        counter += 1
    path.touch(mode=0o600)
    return path


def log_tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The last lines of a log file, read from its end (never the whole file)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - _TAIL_BYTES))
            data = handle.read()
    except OSError:
        return ""
    text = data.decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-lines:])
