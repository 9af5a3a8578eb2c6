"""SHA-256 of files and folders: streaming, and for folders independent of file and walk order."""

import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from medperf.errors import ConfigError

_CHUNK = 1 << 20
# Hashing releases the GIL on large buffers, so a couple of threads overlap reads and hashing.
_WORKERS = max(1, min(4, os.cpu_count() or 1))


def sha256_file(path: Path | str) -> str:
    """Hex sha256 of one file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        buffer = bytearray(_CHUNK)
        view = memoryview(buffer)
        while True:
            read = handle.readinto(buffer)
            if not read:
                break
            digest.update(view[:read])
    return digest.hexdigest()


def _walk(root: Path) -> Iterator[tuple[str, Path]]:
    """Yield (posix relative path, absolute path) of every file and symlink under root."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        # A symlinked directory is recorded as a link, not followed.
        linked = [d for d in dirnames if (base / d).is_symlink()]
        for name in [*filenames, *linked]:
            full = base / name
            yield full.relative_to(root).as_posix(), full


def _entry(relative: str, full: Path) -> str:
    if full.is_symlink():
        return f"L\0{relative}\0{os.readlink(full)}\n"
    return f"F\0{relative}\0{sha256_file(full)}\n"


def sha256_folder(path: Path | str) -> str:
    """Hex sha256 over the sorted manifest of (relative path, file sha256) of every file under path.

    Empty folders do not count; symlinks count by their target text and are never followed.
    """
    root = Path(path)
    if not root.is_dir():
        raise ConfigError(f"{root}: not a folder; give the folder whose hash you want")
    files = sorted(_walk(root))
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        entries = pool.map(lambda item: _entry(*item), files)
        manifest = hashlib.sha256()
        for entry in entries:
            manifest.update(entry.encode("utf-8", "surrogateescape"))
    return manifest.hexdigest()


def sha256_path(path: Path | str) -> str:
    """sha256_folder for a folder, sha256_file for a file."""
    target = Path(path)
    if target.is_dir():
        return sha256_folder(target)
    if target.is_file():
        return sha256_file(target)
    raise ConfigError(f"{target}: no such file or folder; check the path")
