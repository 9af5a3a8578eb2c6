"""One walk of a folder as columns: each file's relative path, the file to read and its stamp; special files refused."""

import os
import stat
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from medperf.errors import ConfigError
from medperf.input_files import file_kind


@dataclass(frozen=True)
class Listing:
    """Every file under a folder, in walk order: columns instead of an object per file (100,000 files list fast).

    sizes_inodes holds size, inode and times holds mtime_ns, ctime_ns of file i at 2*i and 2*i+1: together the
    file's stamp (hashing.FileStamp). top_folders are the folder's own sub-folders (a case listing needs
    them: an empty folder has no file in names).
    """

    names: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    sizes_inodes: array = field(default_factory=lambda: array("Q"))
    times: array = field(default_factory=lambda: array("q"))
    top_folders: list[str] = field(default_factory=list)

    def stamp(self, index: int) -> tuple[int, int, int, int]:
        """(size, mtime_ns, ctime_ns, inode) of file index."""
        at = 2 * index
        return self.sizes_inodes[at], self.times[at], self.times[at + 1], self.sizes_inodes[at + 1]

    def top_entries(self) -> list[tuple[str, bool]]:
        """(name, is a folder) of the folder's own entries, as the walk saw them (files, links to files, folders)."""
        return [(name, False) for name in self.names if "/" not in name] + [(name, True) for name in self.top_folders]


def _inside(root: Path, link: Path) -> Path:
    """The regular file a symlink points to, which must be inside root; ConfigError naming the link otherwise."""
    target = Path(os.path.realpath(link))
    if not target.is_relative_to(root) or not target.is_file():
        raise ConfigError(
            f"{link}: a symbolic link to something that is not a file inside {root}; a folder hash covers only "
            "files inside the folder — copy the file in or remove the link"
        )
    return target


def list_folder(root: Path) -> Listing:
    """Every file under root with its stamp, refusing special files: one scandir per folder, one lstat per file.

    A symlink counts as the file it points to when that is a regular file inside root (read under the link's
    name, with the target's stamp); a link to a folder, or leaving root, or dangling, is refused, and so is
    a FIFO, socket or device, each with one line naming it.
    """
    real_root = Path(os.path.realpath(root))
    listing = Listing()
    names, files, sizes_inodes, times = listing.names, listing.files, listing.sizes_inodes, listing.times
    is_regular, is_folder = stat.S_ISREG, stat.S_ISDIR
    folders = [(str(root), "")]
    while folders:
        folder, prefix = folders.pop()
        try:
            with os.scandir(folder) as scan:
                entries = list(scan)
        except OSError as err:
            raise ConfigError(f"{folder}: cannot list ({err.strerror}); check its permissions") from None
        for entry in entries:
            try:
                status = entry.stat(follow_symlinks=False)
            except OSError as err:
                raise ConfigError(f"{entry.path}: cannot read ({err.strerror}); did it change while hashing?") from None
            mode = status.st_mode
            if is_regular(mode):
                file = entry.path
            elif is_folder(mode):
                folders.append((entry.path, prefix + entry.name + "/"))
                if not prefix:
                    listing.top_folders.append(entry.name)
                continue
            elif stat.S_ISLNK(mode):
                target = _inside(real_root, Path(entry.path))
                file, status = str(target), os.stat(target)
            else:
                raise ConfigError(f"{entry.path}: is {file_kind(mode)}, not a regular file; remove it from the folder")
            names.append(prefix + entry.name)
            files.append(file)
            sizes_inodes.extend((status.st_size, status.st_ino))
            times.extend((status.st_mtime_ns, status.st_ctime_ns))
    return listing
