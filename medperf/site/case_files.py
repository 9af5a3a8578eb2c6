"""The cases of a prepared folder: each visible top-level file or folder is one case, named by its case id."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from medperf.site.image_summaries import case_id_of

CASE_TABLE = "case_table.csv"
# Not cases: the preparator's own case table (read as a table, see case_table.py) and what operating
# systems and tools leave behind. Hidden entries (".name") are never cases either.
NOT_CASES = frozenset({CASE_TABLE, "__MACOSX", "__pycache__", "Thumbs.db", "desktop.ini"})


def is_visible(name: str) -> bool:
    """Whether an entry counts: not hidden, not an OS/tool leftover, not the case table."""
    return not name.startswith(".") and name not in NOT_CASES


@dataclass(frozen=True)
class CaseEntry:
    """One case of a prepared (or labels) folder: a file, or a folder whose files belong to the case."""

    case_id: str
    path: Path

    @property
    def is_folder(self) -> bool:
        """A folder per case (symlinks are never followed, so a linked folder is not one)."""
        return self.path.is_dir() and not self.path.is_symlink()


def _listing(folder: Path) -> list[tuple[str, bool]]:
    """(name, is a folder) of the visible entries of a folder, sorted by name; a missing folder has none."""
    if not folder.is_dir():
        return []
    with os.scandir(folder) as scan:
        return sorted((entry.name, entry.is_dir(follow_symlinks=False)) for entry in scan if is_visible(entry.name))


def case_entries(folder: Path) -> list[CaseEntry]:
    """The cases of a folder, sorted by name; a missing folder has none."""
    return [CaseEntry(name if is_folder else case_id_of(name), folder / name) for name, is_folder in _listing(folder)]


def case_ids(folder: Path) -> list[str]:
    """The case ids of case_entries(folder), in the same order, without a Path per case."""
    return [name if is_folder else case_id_of(name) for name, is_folder in _listing(folder)]


def files_of(folder: Path) -> Iterator[Path]:
    """The visible files under a case folder, recursively, sorted; symlinks are listed but never followed."""
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(name for name in dirnames if is_visible(name))
        base = Path(dirpath)
        linked = [name for name in dirnames if (base / name).is_symlink()]
        for name in sorted([*filenames, *linked]):
            if is_visible(name):
                yield base / name
