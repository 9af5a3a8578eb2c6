"""SHA-256 of files and folders: streaming, and for folders independent of file and walk order."""

import hashlib
import os
import stat
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from medperf.errors import ConfigError
from medperf.input_files import file_kind

_CHUNK = 1 << 20
# Hashing releases the GIL on large buffers, so a couple of threads overlap reads and hashing.
_WORKERS = max(1, min(4, os.cpu_count() or 1))
_BATCH_BYTES = 8 << 20
_BATCH_FILES = 512


class FileStamp(NamedTuple):
    """What the file system says about a file without reading it: a change to any of these means re-hash.

    ctime_ns cannot be set back by a user (utime sets it to now), so a file rewritten in place with its
    size and mtime restored still shows as changed.
    """

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int

    @classmethod
    def of(cls, status: os.stat_result) -> "FileStamp":
        """The stamp of a stat result."""
        return cls(status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


class FileRecord(NamedTuple):
    """A file's stamp when it was hashed, and its sha256."""

    stamp: FileStamp
    sha256: str


def hash_file_record(path: Path | str) -> FileRecord:
    """Hex sha256 of one regular file's bytes (1 MiB chunks) with its stamp taken BEFORE the read.

    A write during the read moves mtime/ctime past the stamp, so an incremental check re-hashes the file.
    A FIFO, socket or device is refused.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # never blocks on a FIFO
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror}); check the path and its permissions") from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise ConfigError(
                f"{path}: is {file_kind(status.st_mode)}, not a regular file; remove it or give a regular file"
            )
        digest = hashlib.sha256()
        chunk = min(_CHUNK, status.st_size + 4096)  # a small file is one read of about its size
        try:
            while data := os.read(fd, chunk):
                digest.update(data)
        except OSError as err:
            raise ConfigError(f"{path}: cannot read ({err.strerror}); check the file") from None
    finally:
        os.close(fd)
    return FileRecord(FileStamp.of(status), digest.hexdigest())


def sha256_file(path: Path | str) -> str:
    """Hex sha256 of one regular file's bytes, read in 1 MiB chunks (a FIFO, socket or device is refused)."""
    return hash_file_record(path).sha256


def _inside(root: Path, link: Path) -> Path:
    """The regular file a symlink points to, which must be inside root; ConfigError naming the link otherwise."""
    target = Path(os.path.realpath(link))
    if not target.is_relative_to(root) or not target.is_file():
        raise ConfigError(
            f"{link}: a symbolic link to something that is not a file inside {root}; a folder hash covers only "
            "files inside the folder — copy the file in or remove the link"
        )
    return target


def _walk(root: Path) -> Iterator[tuple[str, str, os.stat_result]]:
    """Yield (posix relative path, file to hash, its stat) of every file under root, refusing special files.

    A symlink counts as the file it points to when that is a regular file inside root (hashed by its
    content, under the link's name); a link to a folder, or leaving root, or dangling, is refused.
    One scandir per folder and one lstat per file (the stat of a regular file is its stamp): listing
    100,000 files costs well under a second.
    """
    real_root = Path(os.path.realpath(root))
    folders = [(str(root), "")]
    while folders:
        folder, prefix = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as err:
            raise ConfigError(f"{folder}: cannot list ({err.strerror}); check its permissions") from None
        for entry in entries:
            relative = prefix + entry.name
            try:
                status = entry.stat(follow_symlinks=False)
            except OSError as err:
                raise ConfigError(f"{entry.path}: cannot read ({err.strerror}); did it change while hashing?") from None
            if stat.S_ISDIR(status.st_mode):
                folders.append((entry.path, relative + "/"))
            elif stat.S_ISREG(status.st_mode):
                yield relative, entry.path, status
            elif stat.S_ISLNK(status.st_mode):
                target = _inside(real_root, Path(entry.path))
                yield relative, str(target), os.stat(target)
            else:
                raise ConfigError(
                    f"{entry.path}: is {file_kind(status.st_mode)}, not a regular file; remove it from the folder"
                )


def sha256_folder(path: Path | str) -> str:
    """Hex sha256 over the sorted manifest of (relative path, file sha256) of every file under path.

    Empty folders do not count. Only regular files count: a FIFO, socket or device file is refused with
    one line naming it (a FIFO would otherwise hang the read). A symlink to a regular file inside the
    folder counts as that file's content under the link's name; any other symlink is refused, so the
    hash always covers exactly the bytes a container mounting the folder can read.
    """
    return manifest_sha256(hash_folder(path).records)


@dataclass(frozen=True)
class FolderHash:
    """The per-file records of a folder (relative posix path -> record) and how many files were read."""

    records: dict[str, FileRecord]
    rehashed: int


def hash_folder(
    path: Path | str, known: Mapping[str, FileRecord] | None = None, *, trust_before_ns: int | None = None
) -> FolderHash:
    """Record every file under path, reading (in parallel threads) only files whose stamp is not in known.

    A known record is reused when the file's size, mtime_ns, ctime_ns and inode all equal its stamp and,
    if trust_before_ns is given, its mtime is older than that (a file written within the file system's
    clock tick of the previous hash could have changed unseen). Files are listed as sha256_folder does.
    """
    root = Path(path)
    if not root.is_dir():
        raise ConfigError(f"{root}: not a folder; give the folder whose hash you want")
    records: dict[str, FileRecord] = {}
    to_read: list[tuple[str, str, int]] = []
    for relative, file, status in _walk(root):
        previous = known.get(relative) if known else None
        if previous is not None and _still_valid(previous, FileStamp.of(status), trust_before_ns):
            records[relative] = previous
        else:
            to_read.append((relative, file, status.st_size))
    batches = _batches(to_read)
    if len(batches) == 1:
        records.update(_hash_batch(batches[0]))
    elif batches:
        with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
            for hashed in pool.map(_hash_batch, batches):
                records.update(hashed)
    return FolderHash(records, len(to_read))


def _batches(files: list[tuple[str, str, int]]) -> list[list[tuple[str, str, int]]]:
    """Files in batches of about _BATCH_BYTES (at most _BATCH_FILES): one thread hand-off per batch.

    100,000 small files then cost a few hundred futures, not 100,000; large files still spread over threads.
    """
    batches: list[list[tuple[str, str, int]]] = []
    current: list[tuple[str, str, int]] = []
    size = 0
    for item in files:
        current.append(item)
        size += item[2]
        if size >= _BATCH_BYTES or len(current) >= _BATCH_FILES:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


def _hash_batch(batch: list[tuple[str, str, int]]) -> dict[str, FileRecord]:
    return {relative: hash_file_record(file) for relative, file, _size in batch}


def _still_valid(previous: FileRecord, stamp: FileStamp, trust_before_ns: int | None) -> bool:
    if stamp != previous.stamp:
        return False
    return trust_before_ns is None or stamp.mtime_ns < trust_before_ns


def manifest_sha256(records: Mapping[str, FileRecord]) -> str:
    """The folder hash of per-file records: sha256 over sorted lines `F\\0<relative>\\0<file sha256>\\n`."""
    manifest = hashlib.sha256()
    for relative in sorted(records):
        manifest.update(f"F\0{relative}\0{records[relative].sha256}\n".encode("utf-8", "surrogateescape"))
    return manifest.hexdigest()


def stamp_digest(path: Path | str) -> str:
    """Hex sha256 of the file stamps (name, size, mtime, ctime, inode) under a folder, or of one file: no reads.

    Lists as sha256_path does (refusing what it refuses), so it fails early where the content hash would.
    Equal digests mean the file system reports nothing changed; only the content hash says the bytes are equal.
    """
    target = Path(path)
    if target.is_dir():
        lines = [f"F\0{relative}\0{s.st_size} {s.st_mtime_ns} {s.st_ctime_ns} {s.st_ino}\n"
                 for relative, _file, s in _walk(target)]  # fmt: skip
        lines.sort()  # by relative path: each line starts with "F\0" and its path, which ends at the next "\0"
        return hashlib.sha256("".join(lines).encode("utf-8", "surrogateescape")).hexdigest()
    if target.is_file():
        return hashlib.sha256(str(tuple(FileStamp.of(target.stat()))).encode()).hexdigest()
    sha256_path(target)  # raises the same one-line error the content hash would
    raise AssertionError("unreachable")  # pragma: no cover


def sha256_path(path: Path | str) -> str:
    """sha256_folder for a folder, sha256_file for a file."""
    target = Path(path)
    if target.is_dir():
        return sha256_folder(target)
    if target.is_file():
        return sha256_file(target)
    if target.exists():
        raise ConfigError(f"{target}: is {file_kind(target.stat().st_mode)}, not a file or folder; give a regular one")
    raise ConfigError(f"{target}: no such file or folder; check the path")
