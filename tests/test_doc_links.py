"""Every document the code, the README, the docs and the examples refer to exists in the repository."""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")  # a markdown link or image: [text](target)
MD_REFERENCE = re.compile(r"(?<![\w./-])([\w./-]*\w\.md)\b")  # a path or name ending in .md


def referring_files() -> list[Path]:
    """README.md, docs/*.md, the examples' READMEs and benchmark.yaml files, and every module of medperf/."""
    files = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    files += sorted((REPO / "examples").glob("**/*.md")) + sorted((REPO / "examples").glob("*/benchmark/*.yaml"))
    files += sorted(path for path in (REPO / "medperf").glob("**/*.py") if "__pycache__" not in path.parts)
    return files


def references(path: Path) -> set[str]:
    """Local link targets (markdown files) and every mention of a .md file (any file), URLs left out."""
    text = URL.sub("", path.read_text(encoding="utf-8"))
    found = {match.group(1) for match in MD_REFERENCE.finditer(text)}
    if path.suffix == ".md":
        found |= {match.group(1) for match in LINK.finditer(text) if not match.group(1).startswith(("#", "mailto:"))}
    return {target.split("#", 1)[0] for target in found if target.split("#", 1)[0]}


def resolves(path: Path, target: str) -> bool:
    """Relative to the referring file's folder, or to the repository root.

    A benchmark.yaml's paths are relative to its example's folder (the one holding benchmark/), and there
    a bare name is looked up nowhere else: "See README.md" means the example's own README.
    """
    if path.name == "benchmark.yaml":
        return (path.parents[1] / target).exists()
    return (path.parent / target).exists() or (REPO / target).exists()


def test_the_scan_finds_the_references_it_must_check() -> None:
    """The scan is not vacuous: it reads the README's links and a module's mention of docs/API.md."""
    assert {"docs/DEMO.md", "docs/DESIGN.md", "docs/leaderboard.png"} <= references(REPO / "README.md")
    assert "docs/API.md" in references(REPO / "medperf" / "client" / "registry.py")
    assert not resolves(REPO / "README.md", "docs/NOT-THERE.md")
    example = REPO / "examples" / "breast_cancer" / "benchmark" / "benchmark.yaml"
    assert "README.md" in references(example) and not resolves(example, "CONTRACTS.md")


@pytest.mark.parametrize("path", referring_files(), ids=lambda path: str(path.relative_to(REPO)))
def test_every_referenced_document_exists(path: Path) -> None:
    missing = sorted(target for target in references(path) if not resolves(path, target))
    assert not missing, f"{path.relative_to(REPO)} refers to {missing}, which the repository does not have"
