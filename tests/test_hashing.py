"""Tests of file and folder hashing."""

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from medperf import hashing
from medperf.errors import ConfigError
from medperf.hashing import sha256_file, sha256_folder, sha256_path


def _tree(root: Path, files: dict[str, bytes], order: list[str]) -> Path:
    for name in order:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[name])
    return root


FILES = {"a.txt": b"alpha\n", "sub/b.bin": bytes(range(256)) * 100, "sub/deeper/c.csv": b"1,2,3\n"}


def test_file_hash_matches_sha256sum(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    expected = subprocess.run(["sha256sum", str(path)], capture_output=True, text=True, check=True).stdout.split()[0]
    assert sha256_file(path) == expected == sha256_path(path)


def test_folder_hash_does_not_depend_on_creation_order(tmp_path: Path) -> None:
    first = _tree(tmp_path / "one", FILES, list(FILES))
    second = _tree(tmp_path / "two", FILES, list(reversed(FILES)))
    assert sha256_folder(first) == sha256_folder(second) == sha256_path(first)


@pytest.mark.parametrize(
    "change",
    [
        lambda root: (root / "a.txt").write_bytes(b"alpha!\n"),
        lambda root: (root / "a.txt").rename(root / "renamed.txt"),
        lambda root: (root / "sub" / "new.txt").write_bytes(b""),
        lambda root: (root / "sub" / "deeper" / "c.csv").unlink(),
    ],
    ids=["content", "rename", "added-empty-file", "removed"],
)
def test_folder_hash_changes_with_content_or_names(tmp_path: Path, change: object) -> None:
    root = _tree(tmp_path / "data", FILES, list(FILES))
    before = sha256_folder(root)
    change(root)  # type: ignore[operator]
    assert sha256_folder(root) != before


def test_moving_a_file_between_folders_changes_the_hash(tmp_path: Path) -> None:
    one = _tree(tmp_path / "one", {"x/y": b"same"}, ["x/y"])
    two = _tree(tmp_path / "two", {"xy": b"same"}, ["xy"])
    assert sha256_folder(one) != sha256_folder(two)


def test_folder_hash_is_the_documented_manifest(tmp_path: Path) -> None:
    root = _tree(tmp_path / "data", FILES, list(FILES))
    manifest = "".join(f"F\0{name}\0{hashlib.sha256(FILES[name]).hexdigest()}\n" for name in sorted(FILES)).encode()
    assert sha256_folder(root) == hashlib.sha256(manifest).hexdigest()


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file or folder"):
        sha256_path(tmp_path / "nope")


def test_the_stamp_digest_reads_no_file_and_changes_with_any_stamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("one")
    (tmp_path / "b.txt").write_text("two")
    monkeypatch.setattr(hashing, "read_file_digest", lambda path: pytest.fail(f"read {path}"))
    first = hashing.stamp_digest(tmp_path)
    assert hashing.stamp_digest(tmp_path) == first
    os.utime(tmp_path / "sub" / "a.txt", ns=(1, 1))
    assert hashing.stamp_digest(tmp_path) != first
    assert hashing.stamp_digest(tmp_path / "sub" / "a.txt") != hashing.stamp_digest(tmp_path / "b.txt")


def test_the_stamp_digest_refuses_what_the_content_hash_refuses(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ConfigError, match="pipe: is a FIFO"):
        hashing.stamp_digest(tmp_path)
    with pytest.raises(ConfigError, match="no such file or folder"):
        hashing.stamp_digest(tmp_path / "missing")


def test_the_stamp_digest_is_the_documented_lines(tmp_path: Path) -> None:
    """Its value caches prepare steps on every site: sorted lines `F\\0<relative>\\0size mtime ctime inode\\n`."""
    root = _tree(tmp_path / "data", FILES, list(FILES))
    lines = []
    for name in sorted(FILES):
        status = (root / name).stat()
        lines.append(f"F\0{name}\0{status.st_size} {status.st_mtime_ns} {status.st_ctime_ns} {status.st_ino}\n")
    assert hashing.stamp_digest(root) == hashlib.sha256("".join(lines).encode()).hexdigest()


def test_the_raw_inputs_are_listed_once_for_their_stamp_key_and_content_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from medperf.site.dataset_steps import RawInputs, raw_data_hash, raw_stamp_key
    from medperf.site.payloads import payload_sha256

    data = _tree(tmp_path / "data", FILES, list(FILES))
    labels = tmp_path / "labels.csv"
    labels.write_text("case,label\n")
    expected_key, expected_hash = raw_stamp_key(data, labels), raw_data_hash(data, labels)
    assert expected_hash == payload_sha256({"data": sha256_folder(data), "labels": sha256_file(labels)})
    listed: list[Path] = []
    real = hashing.list_folder

    def counting(root: Path) -> hashing.Listing:
        listed.append(root)
        return real(root)

    monkeypatch.setattr(hashing, "list_folder", counting)
    raw = RawInputs(data, labels)
    assert (raw.stamp_key(), raw.content_hash()) == (expected_key, expected_hash)
    assert listed == [data]


def test_a_link_to_a_file_inside_counts_as_that_file_under_its_own_name(tmp_path: Path) -> None:
    root = _tree(tmp_path / "data", FILES, list(FILES))
    (root / "link.txt").symlink_to(root / "sub" / "b.bin")
    files = hashing.hash_folder(root).files.records()
    assert files["link.txt"].sha256 == files["sub/b.bin"].sha256 == hashlib.sha256(FILES["sub/b.bin"]).hexdigest()
    target = (root / "sub" / "b.bin").stat()
    assert files["link.txt"].stamp == (target.st_size, target.st_mtime_ns, target.st_ctime_ns, target.st_ino)
