"""Whole-file writes: readers see the old file or the new one, and writers on parallel threads never collide."""

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from medperf.atomic_file import write_atomic


def test_parallel_writers_of_one_file_never_collide(tmp_path: Path) -> None:
    target = tmp_path / "index.json"

    def write(number: int) -> None:
        write_atomic(target, f"{number}\n" * 1000)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(400)))
    lines = set(target.read_text().splitlines())
    assert len(lines) == 1 and int(lines.pop()) in range(400)  # one whole write, never a mix
    assert [p.name for p in tmp_path.iterdir()] == ["index.json"]  # no temporary file left behind


def test_the_file_is_private_by_default_and_other_modes_are_kept(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a", "secret")
    write_atomic(tmp_path / "b", b"\x00public", mode=0o644)
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "b").stat().st_mode) == 0o644
    assert (tmp_path / "b").read_bytes() == b"\x00public"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "settings.json"
    write_atomic(target, "old")

    def broken(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        write_atomic(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]
