"""Pack a folder as a reproducible tar.gz, and unpack a verified one from the object store safely."""

import gzip
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from medperf.errors import ConfigError
from medperf.storage.base import ObjectStore


def pack_folder(folder: Path, archive: Path) -> Path:
    """Write folder's content as a tar.gz: sorted names, zeroed times and owners (same bytes each time)."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: not a folder; give the folder to pack")
    archive.parent.mkdir(parents=True, exist_ok=True)

    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
        return info

    with (
        open(archive, "wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted([*dirnames, *filenames]):
                full = Path(dirpath) / name
                info = normalise(tar.gettarinfo(str(full), full.relative_to(folder).as_posix()))
                if info.isfile():
                    with open(full, "rb") as handle:
                        tar.addfile(info, handle)
                else:
                    tar.addfile(info)
    return archive


def unpack_tarball(archive: Path, dest: Path) -> Path:
    """Extract a tar(.gz) into dest, refusing absolute paths, '..', links out and device files."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=dest.parent))
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(staging, filter="data")
    except (tarfile.TarError, OSError) as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise ConfigError(f"{archive}: cannot unpack ({err}); upload a plain tar.gz of the folder") from None
    if dest.exists():
        shutil.rmtree(dest)
    staging.rename(dest)
    return dest


def fetch_tarball(store: ObjectStore, url: str, sha256: str, dest: Path) -> Path:
    """Fetch a tarball (HashMismatch before anything is unpacked) and unpack it into dest."""
    return unpack_tarball(store.fetch(url, sha256), dest)
