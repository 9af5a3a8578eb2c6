"""Pack a folder as a reproducible tar.gz, and unpack a verified one from the object store safely.

Packing takes regular files and folders only: a symlink could pull a file from outside the folder into a
public archive, and a FIFO, socket or device file is not data, so each is refused with one line naming
it. Unpacking streams the archive member by member and stops at the first absolute path, '..', link out
of the folder or device file, and as soon as the members' declared sizes or their number pass the caps
(a small archive cannot fill the disk).
"""

import gzip
import os
import shutil
import stat
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from medperf.errors import ConfigError
from medperf.input_files import file_kind
from medperf.storage.base import ObjectStore

GIB = 1024**3


@dataclass(frozen=True)
class UnpackLimits:
    """The most an archive may unpack to: total bytes of its members, how many there are, and how many
    times its own size it may expand to (beyond a small allowance, so tiny archives of text still unpack)."""

    max_bytes: int = 10 * GIB
    max_members: int = 100_000
    max_ratio: int = 200
    ratio_allowance_bytes: int = 64 * 1024 * 1024


DEFAULT_UNPACK_LIMITS = UnpackLimits()


def _special(mode: int) -> str | None:
    """Why an entry cannot be packed, or None for a regular file or folder."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link (packing never follows links; copy the file in instead)"
    return file_kind(mode)


def _refuse_walk_error(err: OSError) -> None:
    raise ConfigError(f"{err.filename}: cannot list ({err.strerror}); check its permissions") from None


def check_packable(folder: Path, shown_as: Path | None = None) -> None:
    """ConfigError naming the first symlink or special file under folder (shown under shown_as)."""
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False, onerror=_refuse_walk_error):
        for name in sorted([*dirnames, *filenames]):
            full = Path(dirpath) / name
            problem = _special(os.lstat(full).st_mode)
            if problem is not None:
                where = (shown_as / full.relative_to(folder)) if shown_as is not None else full
                raise ConfigError(f"{where}: is {problem}; remove it from the folder before packing")


def pack_folder(folder: Path, archive: Path, shown_as: Path | None = None) -> Path:
    """Write folder's content as a tar.gz: sorted names, zeroed times and owners (same bytes each time).

    Symlinks and special files are refused (named as under shown_as when folder is a staged copy).
    """
    if not folder.is_dir():
        raise ConfigError(f"{folder}: not a folder; give the folder to pack")
    check_packable(folder, shown_as)
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
                elif info.isdir():
                    tar.addfile(info)
                else:  # appeared after the check above
                    where = (shown_as / full.relative_to(folder)) if shown_as is not None else full
                    raise ConfigError(f"{where}: is not a regular file or folder; remove it before packing")
    return archive


def _extract_within_limits(tar: tarfile.TarFile, staging: Path, archive: Path, limits: UnpackLimits) -> None:
    total = 0
    expands_to = max(archive.stat().st_size * limits.max_ratio, limits.ratio_allowance_bytes)
    for count, member in enumerate(tar, start=1):
        if count > limits.max_members:
            raise ConfigError(f"{archive}: holds more than {limits.max_members} files; it is refused")
        if PurePosixPath(member.name).is_absolute():
            raise ConfigError(f"{archive}: a member has an absolute path; it is refused (pack the folder's content)")
        total += max(member.size, 0)
        if total > limits.max_bytes:
            raise ConfigError(f"{archive}: unpacks to more than {limits.max_bytes} bytes; it is refused")
        if total > expands_to:
            raise ConfigError(
                f"{archive}: expands more than {limits.max_ratio}x its size (an archive bomb?); it is refused"
            )
        tar.extract(member, staging, filter="data")


def unpack_tarball(archive: Path, dest: Path, limits: UnpackLimits = DEFAULT_UNPACK_LIMITS) -> Path:
    """Extract a tar(.gz) into dest, refusing absolute paths, '..', links out, device files and archives
    past the limits (checked on each member's header, before its bytes are written). Unpacked aside and renamed
    into place: a dest that exists by then (a concurrent unpack of the same archive) is kept as it is."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=dest.parent))
    try:
        with tarfile.open(archive, "r|*") as tar:
            _extract_within_limits(tar, staging, archive, limits)
    except ConfigError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except (tarfile.TarError, OSError, EOFError, ValueError) as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise ConfigError(f"{archive}: cannot unpack ({err}); upload a plain tar.gz of the folder") from None
    try:
        staging.rename(dest)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not dest.is_dir():
            raise
        # Another writer (a run of the same site at the same moment) unpacked first; callers key dest by the
        # archive's verified hash, so its content is this content, and it may be in use: it stays.
    return dest


def fetch_tarball(
    store: ObjectStore, url: str, sha256: str, dest: Path, limits: UnpackLimits = DEFAULT_UNPACK_LIMITS
) -> Path:
    """Fetch a tarball (HashMismatch before anything is unpacked) and unpack it into dest."""
    return unpack_tarball(store.fetch(url, sha256), dest, limits)
