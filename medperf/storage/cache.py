"""The site's cache of fetched objects: filled through a temporary file, verified on every read."""

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from medperf.errors import ConfigError, HashMismatch
from medperf.hashing import sha256_file

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_sha256(sha256: str) -> str:
    """The expected hash, lower-case; ConfigError when it is not 64 hex digits."""
    value = sha256.strip().lower()
    if not _SHA256.match(value):
        raise ConfigError(f"'{sha256}' is not a sha256 (64 hex digits); check the registered hash")
    return value


def mismatch(url: str, expected: str) -> HashMismatch:
    """The error for an object whose bytes do not hash to the registered value.

    The actual hash is never shown: echoing it would let whoever registers a file:// url learn the sha256
    of any file the site can read (an oracle for guessing its content).
    """
    return HashMismatch(
        f"{url}: its content does not match the registered sha256 {expected}; the object was tampered with or "
        "corrupted — nothing was used; re-upload it or fix the registered hash"
    )


class VerifiedCache:
    """cache_dir/sha256/<hex>: an object enters only after its hash checked out, and is re-checked on read."""

    def __init__(self, cache_dir: Path) -> None:
        self.root = Path(cache_dir) / "sha256"

    def get(self, url: str, sha256: str, download: Callable[[Path], None]) -> Path:
        """The verified cached copy; download(tmp_path) fills the cache on a miss."""
        expected = check_sha256(sha256)
        cached = self.root / expected
        if cached.is_file():
            if sha256_file(cached) == expected:
                return cached
            cached.unlink()  # a corrupted cache entry is fetched again
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".partial-", dir=self.root)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            download(tmp)
            if sha256_file(tmp) != expected:
                raise mismatch(url, expected)
            tmp.chmod(0o444)
            os.replace(tmp, cached)
        finally:
            tmp.unlink(missing_ok=True)
        return cached


def copy_file(source: Path) -> Callable[[Path], None]:
    """A download function that copies a local file."""

    def download(target: Path) -> None:
        try:
            if not source.is_file():  # not a folder, FIFO or device: copying one would fail or hang
                raise FileNotFoundError(source)
            shutil.copyfile(source, target)
        except OSError:
            raise ConfigError(f"file://{source}: no such object; check the url or re-upload it") from None

    return download
