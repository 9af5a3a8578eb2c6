"""The per-file records of a folder hash as columns (names, stamps, sha256 digests) and the folder's manifest hash."""

import hashlib
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple


class FileStamp(NamedTuple):
    """What the file system says about a file without reading it: a change to any of these means re-hash.

    ctime_ns cannot be set back by a user (utime sets it to now), so a file rewritten in place with its
    size and mtime restored still shows as changed.
    """

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int


class FileRecord(NamedTuple):
    """A file's stamp when it was hashed, and its sha256."""

    stamp: FileStamp
    sha256: str


def manifest_sha256(records: Mapping[str, FileRecord]) -> str:
    """The folder hash of per-file records: sha256 over sorted lines `F\\0<relative>\\0<file sha256>\\n`."""
    manifest = hashlib.sha256()
    for relative in sorted(records):
        manifest.update(f"F\0{relative}\0{records[relative].sha256}\n".encode("utf-8", "surrogateescape"))
    return manifest.hexdigest()


@dataclass
class FileColumns:
    """Every file of a folder hash: relative path, stamp (as folder_listing.Listing keeps it) and sha256 digest.

    File i's stamp is sizes_inodes[2i:2i+2] (size, inode) and times[2i:2i+2] (mtime_ns, ctime_ns); digests[i]
    is its 32-byte sha256. known_manifest, when set, is the manifest hash of exactly these names and digests
    (computed when they were, and kept with them in the site's index), so an unchanged folder is not re-sorted.
    """

    names: list[str] = field(default_factory=list)
    sizes_inodes: array = field(default_factory=lambda: array("Q"))
    times: array = field(default_factory=lambda: array("q"))
    digests: list[bytes] = field(default_factory=list)
    known_manifest: str | None = None

    def __len__(self) -> int:
        return len(self.names)

    def stamp(self, index: int) -> FileStamp:
        """The stamp of file index."""
        at = 2 * index
        return FileStamp(self.sizes_inodes[at], self.times[at], self.times[at + 1], self.sizes_inodes[at + 1])

    def manifest(self) -> str:
        """The folder hash: sha256 over the sorted lines `F\\0<relative>\\0<file sha256 hex>\\n` (manifest_sha256)."""
        if self.known_manifest is None:
            pairs = sorted(zip(self.names, self.digests, strict=True))
            lines = [f"F\0{name}\0{digest.hex()}\n" for name, digest in pairs]
            self.known_manifest = hashlib.sha256("".join(lines).encode("utf-8", "surrogateescape")).hexdigest()
        return self.known_manifest

    def records(self) -> dict[str, FileRecord]:
        """relative path -> FileRecord: an object per file, for callers that look files up by name."""
        return {name: FileRecord(self.stamp(i), self.digests[i].hex()) for i, name in enumerate(self.names)}

    @classmethod
    def of_records(cls, records: Mapping[str, FileRecord]) -> "FileColumns":
        """The columns of records keyed by relative path (e.g. an index saved as JSON rows)."""
        columns = cls()
        for name, (stamp, sha256) in records.items():
            columns.names.append(name)
            columns.sizes_inodes.extend((stamp.size, stamp.inode))
            columns.times.extend((stamp.mtime_ns, stamp.ctime_ns))
            columns.digests.append(bytes.fromhex(sha256))
        return columns
