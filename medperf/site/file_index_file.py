"""The on-disk form of a per-file hash index: size, mtime, ctime, inode and sha256 of every file (site only).

Version 2 (written): a magic line, one JSON header line, then per folder its columns as they are in memory
(names joined by NUL, the stamp arrays and the 32-byte digests): saved and loaded without an object per file.
Version 1 (JSON rows [relative, size, mtime_ns, ctime_ns, inode, sha256], written before) is still read.
"""

import json
import sys
from array import array
from pathlib import Path
from typing import Any

from medperf.atomic_file import write_atomic
from medperf.file_columns import FileColumns

INDEX_VERSION = 2
MAGIC = b"medperf file index 2\n"
FINE_TICK_NS = 20_000_000  # two ticks of the slowest kernel clock (HZ = 100)
COARSE_TICK_NS = 2_000_000_000
Folders = dict[str, FileColumns]  # folder name ("data", "labels") -> its files


def write_private_text(path: Path, text: str | bytes) -> None:
    """Write a file readable by the site user only, atomically (a crash never leaves half a file)."""
    write_atomic(path, text)


def write_private(path: Path, data: dict[str, Any], indent: int | None = 2) -> None:
    """Write JSON readable by the site user only, atomically (a crash never leaves half an index)."""
    write_private_text(path, json.dumps(data, indent=indent))  # dumps: json's C encoder (dump streams in Python)


def copy_private(source: Path, target: Path) -> bool:
    """Copy a file to target readable by the site user only, atomically; False if the source cannot be read."""
    try:
        content = source.read_bytes()
    except OSError:
        return False
    write_private_text(target, content)
    return True


def save_file_index(path: Path, hashed_at_ns: int, full_hash_at: float, folders: Folders) -> None:
    """Write the records of a hash made at hashed_at_ns (the last full hash at full_hash_at, epoch seconds)."""
    header: dict[str, Any] = {"hashed_at_ns": hashed_at_ns, "full_hash_at": full_hash_at, "byteorder": sys.byteorder}
    parts: list[bytes] = []
    described = []
    for name, files in folders.items():
        names = "\0".join(files.names).encode("utf-8", "surrogateescape")
        parts += [names, files.sizes_inodes.tobytes(), files.times.tobytes(), b"".join(files.digests)]
        described.append({"name": name, "files": len(files), "names_bytes": len(names), "manifest": files.manifest()})
    header["folders"] = described
    write_private_text(path, b"".join([MAGIC, json.dumps(header).encode(), b"\n", *parts]))


def racy_window_ns(folders: Folders) -> int:
    """How long before a hash a write could still go unseen: the file system's timestamp tick.

    Read off the files' ctimes, which only the kernel sets: any ctime with a fraction of a second means
    fine timestamps, taken from the kernel's coarse clock, which ticks at least every 10 ms (HZ >= 100).
    Whole seconds everywhere means a file system that keeps seconds (FAT keeps two).
    """
    for files in folders.values():
        if any(ctime % 1_000_000_000 for ctime in files.times[1::2]):
            return FINE_TICK_NS
    return COARSE_TICK_NS


def load_file_index(path: Path) -> dict[str, Any] | None:
    """{"hashed_at_ns", "full_hash_at", "folders"}, or None when missing or unreadable (a full re-hash follows)."""
    try:
        content = path.read_bytes()
        if content.startswith(MAGIC):
            return _load_columns(content)
        return _load_rows(json.loads(content))
    except (OSError, ValueError, KeyError, TypeError, IndexError, OverflowError):
        return None


def _load_columns(content: bytes) -> dict[str, Any] | None:
    end = content.index(b"\n", len(MAGIC))
    header = json.loads(content[len(MAGIC) : end])
    if header["byteorder"] != sys.byteorder:
        return None
    at, folders = end + 1, {}
    for folder in header["folders"]:
        count, names_bytes = int(folder["files"]), int(folder["names_bytes"])
        names = content[at : at + names_bytes].decode("utf-8", "surrogateescape").split("\0") if count else []
        at += names_bytes
        sizes_inodes, times = array("Q"), array("q")
        sizes_inodes.frombytes(content[at : at + 16 * count])
        times.frombytes(content[at + 16 * count : at + 32 * count])
        at += 32 * count
        digests = [content[offset : offset + 32] for offset in range(at, at + 32 * count, 32)]
        at += 32 * count
        if len(names) != count or len(digests) != count or len(times) != 2 * count:
            return None  # a cut-off file
        folders[folder["name"]] = FileColumns(names, sizes_inodes, times, digests, str(folder["manifest"]))
    if at != len(content):
        return None
    return _index(header["hashed_at_ns"], header["full_hash_at"], folders)


def _load_rows(saved: dict[str, Any]) -> dict[str, Any] | None:
    """Version 1: JSON rows [relative, size, mtime_ns, ctime_ns, inode, sha256] per folder."""
    if saved.get("version") != 1:
        return None
    folders = {}
    for name, rows in saved["folders"].items():
        files = FileColumns()
        for relative, size, mtime_ns, ctime_ns, inode, sha256 in rows:
            files.names.append(str(relative))
            files.sizes_inodes.extend((size, inode))
            files.times.extend((mtime_ns, ctime_ns))
            digest = bytes.fromhex(sha256)
            if len(digest) != 32:
                return None
            files.digests.append(digest)
        folders[name] = files
    return _index(saved["hashed_at_ns"], saved["full_hash_at"], folders)


def _index(hashed_at_ns: Any, full_hash_at: Any, folders: Folders) -> dict[str, Any]:
    return {"hashed_at_ns": int(hashed_at_ns), "full_hash_at": float(full_hash_at), "folders": folders}
