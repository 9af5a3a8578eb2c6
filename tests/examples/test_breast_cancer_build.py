"""build.py regenerates the committed data and sanity suite byte for byte."""

from pathlib import Path

from breast_cancer_harness import EXAMPLE
from build import build


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_build_reproduces_the_committed_files(tmp_path: Path) -> None:
    build(tmp_path)
    fresh = files_under(tmp_path / "data")
    committed = files_under(EXAMPLE / "data")
    assert sorted(fresh) == sorted(committed)
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert not changed, f"rebuilt files differ from the committed ones: {changed[:5]}"
    suite = "benchmark/sanity_suite.json"
    assert (tmp_path / suite).read_bytes() == (EXAMPLE / suite).read_bytes()
