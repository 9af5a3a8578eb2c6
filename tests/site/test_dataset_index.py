"""The incremental check of a prepared dataset: only changed files are re-read, and every change is caught."""

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from medperf import hashing
from medperf.cli.main import app
from medperf.errors import ConfigError
from medperf.site.dataset_index import DatasetIndex
from medperf.site.dataset_steps import PreparedDataset, prepared_hash
from medperf.site.file_index_file import (
    COARSE_TICK_NS,
    FINE_TICK_NS,
    load_file_index,
    racy_window_ns,
    save_file_index,
)

OLD_NS = (time.time() - 3600) * 1e9


def _age(path: Path) -> None:
    """Give a file an mtime an hour ago (outside the window in which a write could go unseen)."""
    os.utime(path, ns=(int(OLD_NS), int(OLD_NS)))


def _dataset(root: Path, cases: int = 20) -> PreparedDataset:
    data, labels, metadata = root / "data", root / "labels", root / "metadata"
    for folder in (data / "sub", labels, metadata):
        folder.mkdir(parents=True)
    for index in range(cases):
        (data / "sub" / f"case-{index:03d}.bin").write_bytes(bytes([index]) * 1000)
    (labels / "labels.csv").write_text("".join(f"case-{i:03d},{i % 2}\n" for i in range(cases)))
    for path in [*data.rglob("*.bin"), labels / "labels.csv"]:
        _age(path)
    return PreparedDataset(data, labels, metadata, prepared_hash(data, labels))


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file whose bytes the hashing module reads."""
    seen: list[str] = []
    real = hashing.read_file_digest

    def counting(path: Path | str) -> tuple[os.stat_result, bytes]:
        seen.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(hashing, "read_file_digest", counting)
    return seen


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[DatasetIndex, PreparedDataset]:
    prepared = _dataset(tmp_path / "prepared")
    index = DatasetIndex(tmp_path / "site")
    index.record(7, prepared)
    return index, prepared


def test_an_unchanged_dataset_is_not_read_again(
    indexed: tuple[DatasetIndex, PreparedDataset], reads: list[str]
) -> None:
    index, _ = indexed
    for _ in range(3):
        check = index.verify(7)
        assert check.intact and check.files == 21 and check.rehashed == 0 and not check.full
    assert reads == []


def test_recording_reads_every_file_once(tmp_path: Path, reads: list[str]) -> None:
    prepared = _dataset(tmp_path / "prepared")
    reads.clear()  # computing the prepared hash above read them too
    DatasetIndex(tmp_path / "site").record(3, prepared)
    assert sorted(reads) == sorted([f"case-{i:03d}.bin" for i in range(20)] + ["labels.csv"])


def test_same_size_new_mtime_is_caught(indexed: tuple[DatasetIndex, PreparedDataset], reads: list[str]) -> None:
    index, prepared = indexed
    target = prepared.data / "sub" / "case-004.bin"
    target.write_bytes(b"\xff" * 1000)  # same size, new content, mtime now
    check = index.verify(7)
    assert not check.intact and check.rehashed == 1 and reads == ["case-004.bin"]


def test_same_mtime_new_size_is_caught(indexed: tuple[DatasetIndex, PreparedDataset], reads: list[str]) -> None:
    index, prepared = indexed
    target = prepared.data / "sub" / "case-005.bin"
    with target.open("ab") as handle:
        handle.write(b"x")
    _age(target)  # the old mtime back
    check = index.verify(7)
    assert not check.intact and reads == ["case-005.bin"]


def test_a_replaced_inode_is_caught(indexed: tuple[DatasetIndex, PreparedDataset], reads: list[str]) -> None:
    index, prepared = indexed
    target = prepared.data / "sub" / "case-006.bin"
    swap = target.with_name("swap.tmp")
    swap.write_bytes(b"\x01" * 1000)  # same size
    _age(swap)  # same mtime
    before = target.stat()
    os.replace(swap, target)
    after = target.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns) != after.st_ino
    check = index.verify(7)
    assert not check.intact and reads == ["case-006.bin"]


def test_an_in_place_rewrite_with_size_and_mtime_restored_is_caught(
    indexed: tuple[DatasetIndex, PreparedDataset], reads: list[str]
) -> None:
    index, prepared = indexed
    target = prepared.labels / "labels.csv"
    text = target.read_text()
    target.write_text(text.replace("case-000,0", "case-000,1"))  # same size, same inode
    _age(target)  # same mtime: only ctime shows the change
    check = index.verify(7)
    assert not check.intact and reads == ["labels.csv"]


def test_added_and_removed_files_are_caught(indexed: tuple[DatasetIndex, PreparedDataset]) -> None:
    index, prepared = indexed
    extra = prepared.data / "extra.bin"
    extra.write_bytes(b"new")
    assert not index.verify(7).intact
    extra.unlink()
    assert index.verify(7).intact
    (prepared.data / "sub" / "case-000.bin").unlink()
    assert not index.verify(7).intact


def test_a_change_is_refused_on_every_check_not_only_the_first(indexed: tuple[DatasetIndex, PreparedDataset]) -> None:
    index, prepared = indexed
    (prepared.data / "sub" / "case-001.bin").write_bytes(b"\x00" * 1000)
    assert [index.verify(7).intact for _ in range(3)] == [False, False, False]


def test_full_rehash_on_demand_and_by_schedule(
    tmp_path: Path, indexed: tuple[DatasetIndex, PreparedDataset], reads: list[str]
) -> None:
    index, _ = indexed
    full = index.verify(7, full=True)
    assert full.intact and full.full and full.rehashed == 21 and len(reads) == 21
    reads.clear()
    overdue = DatasetIndex(tmp_path / "site", full_rehash_every_s=0)
    check = overdue.verify(7)
    assert check.intact and check.full and len(reads) == 21


def test_a_freshly_written_file_is_read_again_on_the_next_check(tmp_path: Path, reads: list[str]) -> None:
    prepared = _dataset(tmp_path / "prepared")
    fresh = prepared.data / "sub" / "case-002.bin"
    fresh.write_bytes(bytes([2]) * 1000)  # same content, rewritten in place
    os.utime(fresh, ns=(time.time_ns() + 10**9,) * 2)  # an mtime after the hash: never trusted unread
    index = DatasetIndex(tmp_path / "site")
    index.record(9, prepared)
    reads.clear()
    assert index.verify(9).intact and reads == ["case-002.bin"]


def test_a_missing_or_corrupt_index_means_a_full_rehash(indexed: tuple[DatasetIndex, PreparedDataset]) -> None:
    index, _ = indexed
    (index.root / "7.files.idx").write_text("{not json")
    check = index.verify(7)
    assert check.intact and check.full and check.rehashed == 21
    assert not index.verify(7).full


def test_the_index_is_private_to_the_site_user(indexed: tuple[DatasetIndex, PreparedDataset]) -> None:
    index, _ = indexed
    assert {oct(p.stat().st_mode & 0o777) for p in index.root.iterdir()} == {"0o600"}


def test_verify_of_an_unknown_dataset_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="dataset 5 was not prepared on this site"):
        DatasetIndex(tmp_path).verify(5)


def _verify_cli(data_root: Path, home: Path, *args: str) -> Result:
    env = {"MEDPERF_HOME": str(home), "MEDPERF_SITE_NAME": "site-a", "MEDPERF_SITE_DATA_ROOT": str(data_root)}
    return CliRunner().invoke(app, ["dataset", "verify", *args], env=env, catch_exceptions=False)


def test_cli_verify_checks_incrementally_and_fully_on_demand(tmp_path: Path) -> None:
    prepared = _dataset(tmp_path / "prepared")
    DatasetIndex(tmp_path / "site").record(4, prepared)
    quick = _verify_cli(tmp_path / "site", tmp_path / "home", "4", "--json")
    assert quick.exit_code == 0, quick.output
    assert json.loads(quick.stdout) | {"seconds": 0} == {
        "dataset_id": 4, "intact": True, "files": 21, "files_read": 0, "full": False, "seconds": 0,
    }  # fmt: skip
    full = _verify_cli(tmp_path / "site", tmp_path / "home", "4", "--full")
    assert full.exit_code == 0 and "full re-hash: 21 files, 21 read" in full.stdout


def test_cli_verify_of_a_changed_dataset_is_one_line_and_exit_1(tmp_path: Path) -> None:
    prepared = _dataset(tmp_path / "prepared")
    DatasetIndex(tmp_path / "site").record(4, prepared)
    (prepared.labels / "labels.csv").write_text("tampered\n")
    result = _verify_cli(tmp_path / "site", tmp_path / "home", "4")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: dataset 4: the prepared data on this site no longer matches its hash; prepare it again"
    ]


def _prepare_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PreparedDataset:
    """dataset_steps.prepare with the container's part replaced by writing its output folders."""
    from types import SimpleNamespace

    from medperf.site import container_steps, dataset_steps

    def container_prepare(ctx: object, raw_data: Path, raw_labels: Path) -> container_steps.PreparedPaths:
        made = _dataset(tmp_path / "work")
        return container_steps.PreparedPaths(data=made.data, labels=made.labels, metadata=made.metadata)

    monkeypatch.setattr(dataset_steps.container_steps, "prepare", container_prepare)
    return dataset_steps.prepare(SimpleNamespace(), tmp_path / "raw", tmp_path / "raw_labels")  # type: ignore[arg-type]


def test_a_dataset_from_the_prepare_step_is_indexed_from_its_hash_without_reading_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[str]
) -> None:
    prepared = _prepare_step(tmp_path, monkeypatch)
    assert prepared.prepared_hash == prepared_hash(prepared.data, prepared.labels)
    reads.clear()  # the prepare step read every file once, and so did the line above
    index = DatasetIndex(tmp_path / "site")
    index.record(4, prepared)
    assert reads == []  # the step's own records seed the index
    check = index.verify(4)
    assert check.intact and check.files == 21 and check.rehashed == 0 and reads == []


def test_a_file_changed_between_prepare_and_registration_is_read_and_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[str]
) -> None:
    prepared = _prepare_step(tmp_path, monkeypatch)
    changed = prepared.data / "sub" / "case-003.bin"
    changed.write_bytes(b"\x07" * 1000)  # same size; a new mtime
    reads.clear()
    index = DatasetIndex(tmp_path / "site")
    index.record(5, prepared)
    assert reads == []  # registering reads nothing: the index is the prepare step's hash
    check = index.verify(5)  # the check before an evaluation
    assert reads == ["case-003.bin"] and not check.intact  # only the changed file is read, and it is refused
    assert not index.verify(5).intact and reads == ["case-003.bin"] * 2  # and again on every check


def _records(*ctimes_ns: int) -> dict[str, hashing.FileColumns]:
    stamps = [hashing.FileStamp(1, ctime, ctime, index) for index, ctime in enumerate(ctimes_ns)]
    records = {f"f{i}": hashing.FileRecord(stamp, "0" * 64) for i, stamp in enumerate(stamps)}
    return {"data": hashing.FileColumns.of_records(records)}


def test_the_racy_window_is_the_file_systems_timestamp_tick_read_off_the_ctimes() -> None:
    whole_seconds = _records(1_700_000_000 * 10**9, 1_700_000_001 * 10**9)
    assert racy_window_ns(whole_seconds) == COARSE_TICK_NS == 2 * 10**9
    fine = _records(1_700_000_000 * 10**9, 1_700_000_001 * 10**9 + 4_000_000)
    assert racy_window_ns(fine) == FINE_TICK_NS == 20_000_000


def test_a_file_written_a_tick_before_the_hash_is_read_again_and_one_written_well_before_is_not(
    tmp_path: Path, reads: list[str]
) -> None:
    prepared = _dataset(tmp_path / "prepared")
    index = DatasetIndex(tmp_path / "site")
    index.record(8, prepared)
    saved = load_file_index(index.root / "8.files.idx")
    assert saved is not None
    hashed_at = saved["hashed_at_ns"]
    racy, settled = prepared.data / "sub" / "case-001.bin", prepared.data / "sub" / "case-002.bin"
    assert racy.stat().st_ctime_ns % 10**9  # this file system keeps fractions of a second: the window is one tick
    os.utime(racy, ns=(hashed_at - FINE_TICK_NS // 2,) * 2)
    os.utime(settled, ns=(hashed_at - 3 * FINE_TICK_NS,) * 2)
    reads.clear()
    assert index.verify(8).intact and sorted(reads) == ["case-001.bin", "case-002.bin"]  # both stamps changed
    reads.clear()
    saved = load_file_index(index.root / "8.files.idx")
    assert saved is not None  # as if the hash that recorded the new stamps had run at hashed_at:
    save_file_index(index.root / "8.files.idx", hashed_at, saved["full_hash_at"], saved["folders"])
    assert index.verify(8).intact and reads == ["case-001.bin"]


def test_checks_of_one_dataset_on_parallel_threads_all_pass(indexed: tuple[DatasetIndex, PreparedDataset]) -> None:
    """A batch run checks one dataset for each of its models at once; every check rewrites the index here."""
    from concurrent.futures import ThreadPoolExecutor

    index, prepared = indexed
    fresh = next(prepared.data.rglob("*.bin"))
    os.utime(fresh)  # within the racy window: every check reads it again and saves the index

    def check(_: int) -> bool:
        return index.verify(7).intact

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(check, range(200)))
    assert index.verify(7).intact


def _as_version_1(path: Path, folders: dict[str, hashing.FileColumns], hashed_at_ns: int, full_hash_at: float) -> None:
    """Write an index as the site wrote it before version 2: JSON rows [relative, size, mtime, ctime, inode, sha256]."""
    rows = {
        name: [[relative, *record.stamp, record.sha256] for relative, record in files.records().items()]
        for name, files in folders.items()
    }
    data = {"version": 1, "hashed_at_ns": hashed_at_ns, "full_hash_at": full_hash_at, "folders": rows}
    path.write_text(json.dumps(data))


def _to_version_1(index: DatasetIndex, dataset_id: int) -> None:
    saved = load_file_index(index.root / f"{dataset_id}.files.idx")
    assert saved is not None
    _as_version_1(
        index.root / f"{dataset_id}.files.json", saved["folders"], saved["hashed_at_ns"], saved["full_hash_at"]
    )
    (index.root / f"{dataset_id}.files.idx").unlink()


def test_an_index_written_in_version_1_is_used_then_rewritten_in_version_2(
    indexed: tuple[DatasetIndex, PreparedDataset], reads: list[str]
) -> None:
    index, _ = indexed
    _to_version_1(index, 7)
    check = index.verify(7)
    assert check.intact and not check.full and check.rehashed == 0 and reads == []  # its records are trusted
    assert (index.root / "7.files.idx").read_bytes().startswith(b"medperf file index 2\n")
    assert not (index.root / "7.files.json").exists()
    assert index.verify(7).intact and reads == []


@pytest.mark.parametrize("change", ["rewrite-in-place", "new-inode", "append"])
def test_a_file_changed_since_a_version_1_index_is_caught(
    indexed: tuple[DatasetIndex, PreparedDataset], reads: list[str], change: str
) -> None:
    index, prepared = indexed
    _to_version_1(index, 7)
    target = prepared.data / "sub" / "case-008.bin"
    if change == "rewrite-in-place":
        target.write_bytes(b"\x09" * 1000)  # same size and inode
    elif change == "new-inode":
        target.with_name("swap.tmp").write_bytes(b"\x09" * 1000)
        os.replace(target.with_name("swap.tmp"), target)
    else:
        with target.open("ab") as handle:
            handle.write(b"more")
    _age(target)  # the old mtime back: only ctime, the inode or the size shows the change
    assert [index.verify(7).intact for _ in range(2)] == [False, False]
    assert reads == ["case-008.bin"] * 2
    assert (index.root / "7.files.json").exists()  # a refused check saves nothing


def test_a_prepare_step_cached_before_version_2_still_seeds_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[str]
) -> None:
    from medperf.site.dataset_steps import LEGACY_PREPARED_FILES, PREPARED_FILES

    prepared = _prepare_step(tmp_path, monkeypatch)
    made = prepared.data.parent / PREPARED_FILES
    saved = load_file_index(made)
    assert saved is not None
    legacy = prepared.data.parent / LEGACY_PREPARED_FILES
    _as_version_1(legacy, saved["folders"], saved["hashed_at_ns"], saved["full_hash_at"])
    made.unlink()
    reads.clear()
    index = DatasetIndex(tmp_path / "site")
    index.record(6, prepared)
    check = index.verify(6)
    assert check.intact and not check.full and check.rehashed == 0 and reads == []


@pytest.mark.parametrize("cut", [1, 40, 200])
def test_a_cut_off_index_means_a_full_rehash(indexed: tuple[DatasetIndex, PreparedDataset], cut: int) -> None:
    index, _ = indexed
    path = index.root / "7.files.idx"
    path.write_bytes(path.read_bytes()[:-cut])
    check = index.verify(7)
    assert check.intact and check.full and check.rehashed == 21


def test_bytes_changed_unseen_within_the_racy_window_are_caught_though_the_index_keeps_its_manifest(
    indexed: tuple[DatasetIndex, PreparedDataset], reads: list[str]
) -> None:
    """The index as if hashed in the same clock tick as a write it did not see: equal stamps, old digest."""
    index, prepared = indexed
    target = prepared.data / "sub" / "case-011.bin"
    target.write_bytes(b"\x0b" * 999 + b"\x00")  # new bytes, same size
    saved = load_file_index(index.root / "7.files.idx")
    assert saved is not None
    files = saved["folders"]["data"]
    at = 2 * files.names.index("sub/case-011.bin")
    status = target.stat()
    files.sizes_inodes[at : at + 2] = type(files.sizes_inodes)("Q", (status.st_size, status.st_ino))
    files.times[at : at + 2] = type(files.times)("q", (status.st_mtime_ns, status.st_ctime_ns))
    save_file_index(index.root / "7.files.idx", status.st_mtime_ns, saved["full_hash_at"], saved["folders"])
    reads.clear()
    check = index.verify(7)  # every stamp equals the index's: only the racy window makes it read the file
    assert reads == ["case-011.bin"] and not check.intact


def test_the_index_keeps_any_file_name(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "ä ö").mkdir(parents=True)
    names = [b"plain.txt", b"\xff\xfenot-utf8.bin", "ä ö/ü.csv".encode(), b"tab\there"]
    for name in names:
        (data / os.fsdecode(name)).write_bytes(name)
    files = hashing.hash_folder(data).files
    save_file_index(tmp_path / "x.idx", 5, 6.0, {"data": files, "labels": hashing.FileColumns()})
    loaded = load_file_index(tmp_path / "x.idx")
    assert loaded is not None and loaded["hashed_at_ns"] == 5 and loaded["full_hash_at"] == 6.0
    again = loaded["folders"]["data"]
    assert again.records() == files.records() and again.manifest() == hashing.sha256_folder(data)
    assert loaded["folders"]["labels"].records() == {}
