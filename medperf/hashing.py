"""SHA-256 of files and folders: streaming, and for folders independent of file and walk order."""

import hashlib
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from medperf.errors import ConfigError
from medperf.file_columns import FileColumns, FileRecord, FileStamp, manifest_sha256
from medperf.folder_listing import Listing, list_folder
from medperf.input_files import file_kind

__all__ = ["FileColumns", "FileRecord", "FileStamp", "FolderHash", "Listing", "list_folder", "manifest_sha256"]

_CHUNK = 1 << 20
# Hashing releases the GIL on large buffers, so a couple of threads overlap reads and hashing.
_WORKERS = max(1, min(4, os.cpu_count() or 1))
_BATCH_BYTES = 8 << 20
_BATCH_FILES = 512


def read_file_digest(path: Path | str) -> tuple[os.stat_result, bytes]:
    """The stat of one regular file taken BEFORE its read, and the sha256 of its bytes (read in 1 MiB chunks).

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
    return status, digest.digest()


def hash_file_record(path: Path | str) -> FileRecord:
    """Hex sha256 of one regular file's bytes with its stamp taken before the read (read_file_digest)."""
    status, digest = read_file_digest(path)
    return FileRecord(FileStamp(status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino), digest.hex())


def sha256_file(path: Path | str) -> str:
    """Hex sha256 of one regular file's bytes, read in 1 MiB chunks (a FIFO, socket or device is refused)."""
    return read_file_digest(path)[1].hex()


def sha256_folder(path: Path | str, listing: Listing | None = None) -> str:
    """Hex sha256 over the sorted manifest of (relative path, file sha256) of every file under path.

    Empty folders do not count. Only regular files count: a FIFO, socket or device file is refused with
    one line naming it (a FIFO would otherwise hang the read). A symlink to a regular file inside the
    folder counts as that file's content under the link's name; any other symlink is refused, so the
    hash always covers exactly the bytes a container mounting the folder can read. listing: the folder's
    list_folder, when the caller has it already.
    """
    return hash_folder(path, listing=listing).files.manifest()


@dataclass(frozen=True)
class FolderHash:
    """The per-file records of a folder (as columns, in walk order) and how many files were read."""

    files: FileColumns
    rehashed: int

    @property
    def records(self) -> dict[str, FileRecord]:
        """relative posix path -> record (an object per file; the columns are cheaper)."""
        return self.files.records()


def hash_folder(
    path: Path | str,
    known: FileColumns | None = None,
    *,
    trust_before_ns: int | None = None,
    listing: Listing | None = None,
) -> FolderHash:
    """Record every file under path, reading (in parallel threads) only files whose stamp is not in known.

    A known record is reused when the file's size, mtime_ns, ctime_ns and inode all equal its stamp and,
    if trust_before_ns is given, its mtime is older than that (a file written within the file system's
    clock tick of the previous hash could have changed unseen). Files are listed as sha256_folder does
    (list_folder; or the caller's listing of the folder).
    """
    root = Path(path)
    if listing is None:
        if not root.is_dir():
            raise ConfigError(f"{root}: not a folder; give the folder whose hash you want")
        listing = list_folder(root)
    # The listing's stamps are the records' stamps: taken before any read, as the racy window assumes.
    columns = FileColumns(listing.names, listing.sizes_inodes, listing.times)
    to_read = _unknown(listing, known, trust_before_ns, columns)
    if not to_read:
        return FolderHash(columns, 0)
    batches = _batches(listing, to_read)
    if len(batches) == 1:
        results = [_hash_batch(listing.files, batches[0])]
    else:
        with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
            results = list(pool.map(_hash_batch, [listing.files] * len(batches), batches))
    if len(to_read) == len(listing.names):
        digests = [digest for hashed in results for digest in hashed]  # to_read is every index, in order
        if digests != columns.digests:
            columns.known_manifest = None
        columns.digests = digests
        return FolderHash(columns, len(to_read))
    digests = columns.digests
    changed = False
    for batch, hashed in zip(batches, results, strict=True):
        for index, digest in zip(batch, hashed, strict=True):
            changed = changed or digests[index] != digest
            digests[index] = digest
    if changed:
        columns.known_manifest = None
    return FolderHash(columns, len(to_read))


def _unknown(listing: Listing, known: FileColumns | None, trust_before_ns: int | None, into: FileColumns) -> list[int]:
    """Indexes of the listed files to read; into.digests gets the known digest of every other (b"" for those).

    into.known_manifest is known's when every listed file is known's file under the same name, in the same order.
    """
    count = len(listing.names)
    if known is None or not known.names:
        return list(range(count))
    mtimes = listing.times[0::2]
    if listing.names == known.names and listing.sizes_inodes == known.sizes_inodes and listing.times == known.times:
        into.digests.extend(known.digests)  # the usual case: nothing changed, one comparison of each column
        into.known_manifest = known.known_manifest
        if trust_before_ns is None or max(mtimes) < trust_before_ns:
            return []
        return [index for index, mtime in enumerate(mtimes) if mtime >= trust_before_ns]
    where = {name: index for index, name in enumerate(known.names)}
    to_read = []
    for index, name in enumerate(listing.names):
        previous = where.get(name)
        trusted = trust_before_ns is None or mtimes[index] < trust_before_ns
        if previous is not None and trusted and listing.stamp(index) == tuple(known.stamp(previous)):
            into.digests.append(known.digests[previous])
        else:
            into.digests.append(b"")
            to_read.append(index)
    return to_read


def _batches(listing: Listing, indexes: list[int]) -> list[list[int]]:
    """Files in batches of about _BATCH_BYTES (at most _BATCH_FILES): one thread hand-off per batch.

    100,000 small files then cost a few hundred futures, not 100,000; large files still spread over threads.
    """
    batches: list[list[int]] = []
    current: list[int] = []
    size = 0
    sizes = listing.sizes_inodes
    for index in indexes:
        current.append(index)
        size += sizes[2 * index]
        if size >= _BATCH_BYTES or len(current) >= _BATCH_FILES:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


def _hash_batch(files: list[str], batch: list[int]) -> list[bytes]:
    read = read_file_digest  # looked up once per batch (tests count the reads by replacing it)
    return [read(files[index])[1] for index in batch]


def stamp_digest(path: Path | str, listing: Listing | None = None) -> str:
    """Hex sha256 of the file stamps (name, size, mtime, ctime, inode) under a folder, or of one file: no reads.

    Lists as sha256_path does (refusing what it refuses), so it fails early where the content hash would.
    Equal digests mean the file system reports nothing changed; only the content hash says the bytes are equal.
    listing: the folder's list_folder, when the caller has it already.
    """
    target = Path(path)
    if listing is None and target.is_dir():
        listing = list_folder(target)
    if listing is not None:
        sizes_inodes, times = listing.sizes_inodes, listing.times
        lines = [f"F\0{name}\0{sizes_inodes[2 * i]} {times[2 * i]} {times[2 * i + 1]} {sizes_inodes[2 * i + 1]}\n"
                 for i, name in enumerate(listing.names)]  # fmt: skip
        lines.sort()  # by relative path: each line starts with "F\0" and its path, which ends at the next "\0"
        return hashlib.sha256("".join(lines).encode("utf-8", "surrogateescape")).hexdigest()
    if target.is_file():
        status = target.stat()
        stamp = FileStamp(status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
        return hashlib.sha256(str(tuple(stamp)).encode()).hexdigest()
    sha256_path(target)  # raises the same one-line error the content hash would
    raise AssertionError("unreachable")  # pragma: no cover


def list_path(path: Path | str) -> Listing | None:
    """list_folder of a folder, None for a regular file; the content hash's one-line error for anything else."""
    target = Path(path)
    if target.is_dir():
        return list_folder(target)
    if target.is_file():
        return None
    sha256_path(target)  # raises the same one-line error the content hash would
    raise AssertionError("unreachable")  # pragma: no cover


def sha256_path(path: Path | str, listing: Listing | None = None) -> str:
    """sha256_folder for a folder, sha256_file for a file (listing: the folder's, when the caller has it)."""
    target = Path(path)
    if listing is not None or target.is_dir():
        return sha256_folder(target, listing)
    if target.is_file():
        return sha256_file(target)
    if target.exists():
        raise ConfigError(f"{target}: is {file_kind(target.stat().st_mode)}, not a file or folder; give a regular one")
    raise ConfigError(f"{target}: no such file or folder; check the path")
