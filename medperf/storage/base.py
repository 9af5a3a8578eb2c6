"""The object-store interface: content-addressed by sha256, verified on every read."""

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class StoredObject:
    """Where an object lives and what its bytes hash to."""

    url: str
    sha256: str
    size: int


class ObjectStore(Protocol):
    """Put objects under key sha256/<hex>; fetch them back verified into the site's cache."""

    def put_file(self, path: Path) -> StoredObject:
        """Store a file's bytes; returns its url and sha256."""
        ...

    def put_bytes(self, data: bytes) -> StoredObject:
        """Store bytes; returns their url and sha256."""
        ...

    def fetch(self, url: str, sha256: str) -> Path:
        """A local, verified copy of the object (HashMismatch when its bytes do not hash to sha256)."""
        ...


def object_key(sha256: str) -> str:
    """The content address of an object."""
    return f"sha256/{sha256}"
