"""The on-disk form of a per-file hash index: size, mtime, ctime, inode and sha256 of every file (site only)."""

import json
from pathlib import Path
from typing import Any

from medperf.atomic_file import write_atomic
from medperf.hashing import FileRecord, FileStamp

INDEX_VERSION = 1
FINE_TICK_NS = 20_000_000  # two ticks of the slowest kernel clock (HZ = 100)
COARSE_TICK_NS = 2_000_000_000
Folders = dict[str, dict[str, FileRecord]]  # folder name ("data", "labels") -> relative path -> record


def write_private_text(path: Path, text: str) -> None:
    """Write a file readable by the site user only, atomically (a crash never leaves half a file)."""
    write_atomic(path, text)


def write_private(path: Path, data: dict[str, Any], indent: int | None = 2) -> None:
    """Write JSON readable by the site user only, atomically (a crash never leaves half an index)."""
    write_private_text(path, json.dumps(data, indent=indent))  # dumps: json's C encoder (dump streams in Python)


def copy_private(source: Path, target: Path) -> bool:
    """Copy a file to target readable by the site user only, atomically; False if the source cannot be read."""
    try:
        text = source.read_text()
    except (OSError, UnicodeDecodeError):
        return False
    write_private_text(target, text)
    return True


def save_file_index(path: Path, hashed_at_ns: int, full_hash_at: float, folders: Folders) -> None:
    """Write the records of a hash made at hashed_at_ns (the last full hash at full_hash_at, epoch seconds)."""
    rows = {
        name: [
            [relative, r.stamp.size, r.stamp.mtime_ns, r.stamp.ctime_ns, r.stamp.inode, r.sha256]
            for relative, r in records.items()
        ]
        for name, records in folders.items()
    }
    data = {"version": INDEX_VERSION, "hashed_at_ns": hashed_at_ns, "full_hash_at": full_hash_at, "folders": rows}
    write_private(path, data, indent=None)


def racy_window_ns(folders: Folders) -> int:
    """How long before a hash a write could still go unseen: the file system's timestamp tick.

    Read off the files' ctimes, which only the kernel sets: any ctime with a fraction of a second means
    fine timestamps, taken from the kernel's coarse clock, which ticks at least every 10 ms (HZ >= 100).
    Whole seconds everywhere means a file system that keeps seconds (FAT keeps two).
    """
    for records in folders.values():
        if any(record.stamp.ctime_ns % 1_000_000_000 for record in records.values()):
            return FINE_TICK_NS
    return COARSE_TICK_NS


def load_file_index(path: Path) -> dict[str, Any] | None:
    """{"hashed_at_ns", "full_hash_at", "folders"}, or None when missing or unreadable (a full re-hash follows)."""
    try:
        saved = json.loads(path.read_text())
        if saved.get("version") != INDEX_VERSION:
            return None
        folders = {
            name: {row[0]: FileRecord(FileStamp(*row[1:5]), row[5]) for row in rows}
            for name, rows in saved["folders"].items()
        }
        return {
            "hashed_at_ns": int(saved["hashed_at_ns"]),
            "full_hash_at": float(saved["full_hash_at"]),
            "folders": folders,
        }
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
