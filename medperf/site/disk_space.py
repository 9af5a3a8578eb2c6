"""A full disk under a site folder, named as such: how much is free and what the operator should do."""

import errno
import shutil
from pathlib import Path

from medperf.errors import DiskFull

LOW_SPACE_BYTES = 1024 * 1024  # less than this free after a failed step: the disk is the likely cause
NO_SPACE = "No space left on device"  # strerror(ENOSPC), as a failed task's own log shows it


def free_bytes(folder: Path) -> int | None:
    """Free bytes on the disk holding folder (or its nearest existing parent); None when it cannot be read."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free
            except OSError:
                return None
    return None


def full_disk(folder: Path, log_tail: str = "") -> int | None:
    """Free bytes when the disk of folder is full (nearly no space, or the task's log says ENOSPC), else None."""
    free = free_bytes(folder)
    if free is not None and (free < LOW_SPACE_BYTES or NO_SPACE in log_tail):
        return free
    return None


def what_to_do(folder: Path, free: int | None) -> str:
    """The one-line explanation of a full disk, naming the folder and what to do."""
    left = f"{free} bytes free" if free is not None else "no space left"
    return (
        f"the disk of {folder} is full ({left}); free space there (or move MEDPERF_SITE_DATA_ROOT to a larger "
        "disk) and run again"
    )


def disk_full_error(err: OSError, data_root: Path) -> DiskFull | None:
    """The DiskFull error for an OSError of a full disk (ENOSPC, EDQUOT), else None.

    It names the top folder of the data root the write was in (work, runs, ...) or the data root itself, never
    the file: a file's name may be a case id.
    """
    if err.errno not in (errno.ENOSPC, errno.EDQUOT):
        return None
    folder = data_root
    if isinstance(err.filename, str) and Path(err.filename).is_relative_to(data_root):
        parts = Path(err.filename).relative_to(data_root).parts
        folder = data_root / parts[0] if len(parts) > 1 else data_root
    return DiskFull("a write on this site failed: " + what_to_do(folder, free_bytes(folder)))
