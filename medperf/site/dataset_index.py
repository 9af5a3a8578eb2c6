"""Where each registered dataset's prepared data lives on this site, and its per-file hash index (local only)."""

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medperf.errors import ConfigError
from medperf.hashing import hash_folder
from medperf.site.dataset_steps import LEGACY_PREPARED_FILES, PREPARED_FILES, PreparedDataset, prepared_digest
from medperf.site.file_index_file import (
    Folders,
    copy_private,
    load_file_index,
    racy_window_ns,
    save_file_index,
    write_private,
)

FULL_REHASH_EVERY_S = 7 * 24 * 3600


@dataclass(frozen=True)
class IntegrityCheck:
    """The outcome of checking a prepared dataset against its registered hash (no file names, no case data)."""

    dataset_id: int
    intact: bool
    files: int
    rehashed: int
    full: bool
    seconds: float


class DatasetIndex:
    """Files <data_root>/datasets/<dataset_id>.json mapping a registry dataset to its site folders.

    Next to each, <dataset_id>.files.idx holds size, mtime_ns, ctime_ns, inode and sha256 of every prepared
    file (file_index_file; one written as <dataset_id>.files.json before is still read), so the check before
    an evaluation re-reads only changed files. A full re-hash runs on demand
    (`medperf dataset verify --full`) and by schedule: the first check after FULL_REHASH_EVERY_S (7 days)
    since the last full hash is a full one.
    """

    def __init__(self, data_root: Path, full_rehash_every_s: float = FULL_REHASH_EVERY_S) -> None:
        self.root = data_root / "datasets"
        self.full_rehash_every_s = full_rehash_every_s

    def record(self, dataset_id: int, prepared: PreparedDataset) -> Path:
        """Remember where the prepared data of a registered dataset is, and index its files.

        The index is the prepare step's own hash of the files when it left one (PREPARED_FILES), else one
        full hash now.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"{dataset_id}.json"
        data = {
            "data": str(prepared.data),
            "labels": str(prepared.labels),
            "metadata": str(prepared.metadata),
            "prepared_hash": prepared.prepared_hash,
        }
        write_private(path, data)
        self._files_path(dataset_id).unlink(missing_ok=True)
        self._legacy_files_path(dataset_id).unlink(missing_ok=True)
        made = prepared.data.parent / PREPARED_FILES  # the prepare step's own full hash, in the index's format
        if not made.is_file():
            made = prepared.data.parent / LEGACY_PREPARED_FILES  # a prepare step cached before version 2
        if not (made.is_file() and copy_private(made, self._files_path(dataset_id))):
            self.verify(dataset_id, full=True)
        # Seeded from the step's hash, nothing is listed or read now: the check before each evaluation compares
        # every file's stamp with it, so a file changed since the prepare step is read then, and refused.
        return path

    def get(self, dataset_id: int) -> PreparedDataset:
        """The prepared data of a dataset prepared on this site, or ConfigError saying what to do."""
        path = self.root / f"{dataset_id}.json"
        if not path.is_file():
            raise ConfigError(
                f"dataset {dataset_id} was not prepared on this site ({path} missing); run `medperf prepare` here first"
            )
        data = json.loads(path.read_text())
        return PreparedDataset(
            data=Path(data["data"]),
            labels=Path(data["labels"]),
            metadata=Path(data["metadata"]),
            prepared_hash=data["prepared_hash"],
        )

    def verify(self, dataset_id: int, *, full: bool = False) -> IntegrityCheck:
        """Whether the prepared folders still hash to the recorded prepared hash, re-reading only changed files.

        full=True (or a missing, unreadable or week-old index) re-reads every file. The index is updated
        only when the data is intact, so a changed file is re-read (and refused) on every check.
        """
        started = time.perf_counter()
        prepared = self.get(dataset_id)
        index = None if full else self._load_files(dataset_id)
        if index is not None and time.time() - index["full_hash_at"] > self.full_rehash_every_s:
            index = None
        full = index is None
        if not (prepared.data.is_dir() and prepared.labels.is_dir()):
            return IntegrityCheck(dataset_id, False, 0, 0, full, time.perf_counter() - started)
        hashed_at_ns = time.time_ns()
        known = {} if index is None else index["folders"]
        # A file written within one timestamp tick before the last hash may have changed again unseen: re-read it.
        trust_before = None if index is None else index["hashed_at_ns"] - racy_window_ns(known)
        data = hash_folder(prepared.data, known.get("data"), trust_before_ns=trust_before)
        labels = hash_folder(prepared.labels, known.get("labels"), trust_before_ns=trust_before)
        intact = prepared_digest(data, labels) == prepared.prepared_hash
        if intact and (data.rehashed or labels.rehashed or index is None or index["legacy"]):
            full_hash_at = time.time() if index is None else index["full_hash_at"]
            self._save_files(dataset_id, hashed_at_ns, full_hash_at, {"data": data.files, "labels": labels.files})
        files = len(data.files) + len(labels.files)
        return IntegrityCheck(
            dataset_id, intact, files, data.rehashed + labels.rehashed, full, time.perf_counter() - started
        )

    def _files_path(self, dataset_id: int) -> Path:
        return self.root / f"{dataset_id}.files.idx"

    def _legacy_files_path(self, dataset_id: int) -> Path:
        return self.root / f"{dataset_id}.files.json"  # version 1, written before

    def _load_files(self, dataset_id: int) -> dict[str, Any] | None:
        """The saved file index, or None when there is none or it cannot be read (a full re-hash follows).

        "legacy" says it came from a version-1 file: the next intact check saves it in version 2.
        """
        index = load_file_index(self._files_path(dataset_id))
        legacy = index is None and self._legacy_files_path(dataset_id).is_file()
        if legacy:
            index = load_file_index(self._legacy_files_path(dataset_id))
        return None if index is None else {**index, "legacy": legacy}

    def _save_files(self, dataset_id: int, hashed_at_ns: int, full_hash_at: float, folders: Folders) -> None:
        save_file_index(self._files_path(dataset_id), hashed_at_ns, full_hash_at, folders)
        self._legacy_files_path(dataset_id).unlink(missing_ok=True)
