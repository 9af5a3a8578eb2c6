"""The embedded default object store: a local folder, objects at <root>/sha256/<hex>, urls file://..."""

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

from medperf.errors import ConfigError
from medperf.hashing import sha256_file
from medperf.storage.base import StoredObject, object_key
from medperf.storage.cache import VerifiedCache, copy_file


def file_url_path(url: str) -> Path:
    """The path of a file:// url; ConfigError for any other scheme."""
    parsed = urlparse(url)
    if parsed.scheme != "file":
        raise ConfigError(f"{url}: this site's object store reads file:// urls; configure MEDPERF_STORE_KIND=s3")
    return Path(unquote(parsed.path))


class LocalFolderStore:
    """Objects in a folder; fetched copies verified into the site's cache."""

    def __init__(self, root: Path, cache_dir: Path) -> None:
        self.root = Path(root).resolve()
        self.cache = VerifiedCache(cache_dir)

    def _store(self, source: Path, sha256: str) -> StoredObject:
        target = self.root / object_key(sha256)
        if not target.is_file() or sha256_file(target) != sha256:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".partial-", dir=target.parent)
            os.close(fd)
            try:
                shutil.copyfile(source, tmp_name)
                os.replace(tmp_name, target)
            finally:
                Path(tmp_name).unlink(missing_ok=True)
        return StoredObject(url=target.as_uri(), sha256=sha256, size=target.stat().st_size)

    def put_file(self, path: Path) -> StoredObject:
        """Copy a file into the folder under its sha256."""
        source = Path(path)
        if not source.is_file():
            raise ConfigError(f"{source}: not a file; give the file to upload")
        return self._store(source, sha256_file(source))

    def put_bytes(self, data: bytes) -> StoredObject:
        """Write bytes into the folder under their sha256."""
        with tempfile.NamedTemporaryFile(delete=False) as tmp:
            tmp.write(data)
        try:
            return self.put_file(Path(tmp.name))
        finally:
            Path(tmp.name).unlink(missing_ok=True)

    def fetch(self, url: str, sha256: str) -> Path:
        """A verified cached copy of a file:// object."""
        return self.cache.get(url, sha256, copy_file(file_url_path(url)))
