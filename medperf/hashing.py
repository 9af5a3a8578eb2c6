"""SHA-256 of files and folders: streaming, and for folders independent of file and walk order."""

import hashlib
import os
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from medperf.errors import ConfigError

_CHUNK = 1 << 20
# Hashing releases the GIL on large buffers, so a couple of threads overlap reads and hashing.
_WORKERS = max(1, min(4, os.cpu_count() or 1))


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def sha256_file(path: Path | str) -> str:
    """Hex sha256 of one regular file's bytes, read in 1 MiB chunks (a FIFO, socket or device is refused)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # never blocks on a FIFO
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror}); check the path and its permissions") from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise ConfigError(f"{path}: is {_kind(mode)}, not a regular file; remove it or give a regular file")
        digest = hashlib.sha256()
        buffer = bytearray(_CHUNK)
        view = memoryview(buffer)
        try:
            while True:
                read = handle.readinto(buffer)
                if not read:
                    break
                digest.update(view[:read])
        except OSError as err:
            raise ConfigError(f"{path}: cannot read ({err.strerror}); check the file") from None
    return digest.hexdigest()


def _refuse_walk_error(err: OSError) -> None:
    raise ConfigError(f"{err.filename}: cannot list ({err.strerror}); check its permissions") from None


def _inside(root: Path, link: Path) -> Path:
    """The regular file a symlink points to, which must be inside root; ConfigError naming the link otherwise."""
    target = Path(os.path.realpath(link))
    if not target.is_relative_to(root) or not target.is_file():
        raise ConfigError(
            f"{link}: a symbolic link to something that is not a file inside {root}; a folder hash covers only "
            "files inside the folder — copy the file in or remove the link"
        )
    return target


def _walk(root: Path) -> Iterator[tuple[str, Path]]:
    """Yield (posix relative path, file to hash) of every file under root, refusing special files.

    A symlink counts as the file it points to when that is a regular file inside root (hashed by its
    content, under the link's name); a link to a folder, or leaving root, or dangling, is refused.
    """
    real_root = Path(os.path.realpath(root))
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=_refuse_walk_error):
        base = Path(dirpath)
        linked = [d for d in dirnames if (base / d).is_symlink()]
        for name in [*filenames, *linked]:
            full = base / name
            relative = full.relative_to(root).as_posix()
            try:
                mode = os.lstat(full).st_mode
            except OSError as err:
                raise ConfigError(f"{full}: cannot read ({err.strerror}); did it change while hashing?") from None
            if stat.S_ISLNK(mode):
                yield relative, _inside(real_root, full)
            elif stat.S_ISREG(mode):
                yield relative, full
            else:
                raise ConfigError(f"{full}: is {_kind(mode)}, not a regular file; remove it from the folder")


def sha256_folder(path: Path | str) -> str:
    """Hex sha256 over the sorted manifest of (relative path, file sha256) of every file under path.

    Empty folders do not count. Only regular files count: a FIFO, socket or device file is refused with
    one line naming it (a FIFO would otherwise hang the read). A symlink to a regular file inside the
    folder counts as that file's content under the link's name; any other symlink is refused, so the
    hash always covers exactly the bytes a container mounting the folder can read.
    """
    root = Path(path)
    if not root.is_dir():
        raise ConfigError(f"{root}: not a folder; give the folder whose hash you want")
    files = sorted(_walk(root))
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        hashes = pool.map(lambda item: sha256_file(item[1]), files)
        manifest = hashlib.sha256()
        for (relative, _), file_hash in zip(files, hashes, strict=True):
            manifest.update(f"F\0{relative}\0{file_hash}\n".encode("utf-8", "surrogateescape"))
    return manifest.hexdigest()


def sha256_path(path: Path | str) -> str:
    """sha256_folder for a folder, sha256_file for a file."""
    target = Path(path)
    if target.is_dir():
        return sha256_folder(target)
    if target.is_file():
        return sha256_file(target)
    if target.exists():
        raise ConfigError(f"{target}: is {_kind(target.stat().st_mode)}, not a file or folder; give a regular one")
    raise ConfigError(f"{target}: no such file or folder; check the path")
