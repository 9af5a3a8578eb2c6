"""Per-file preparator: one raw file per case -> one prepared file per case; every step reads every file."""

import shutil
import sys
from collections.abc import Callable
from pathlib import Path


def values(folder: Path) -> dict[str, float]:
    return {path.stem: float(path.read_text()) for path in sorted(folder.glob("*.txt"))}


def prepare(raw: Path, raw_labels: Path, out: Path, out_labels: Path) -> None:
    for case, value in values(raw).items():
        (out / f"{case}.txt").write_text(f"{value:.3f}\n")
    shutil.copy(raw_labels / "labels.csv", out_labels / "labels.csv")


def sanity_check(data: Path, labels: Path) -> None:
    cases = values(data)
    known = {line.split(",")[0] for line in (labels / "labels.csv").read_text().splitlines()[1:]}
    if not cases or set(cases) - known:
        sys.exit("a case without a label")


def statistics(data: Path, labels: Path, output: Path) -> None:
    cases = values(data)
    output.write_text(f"mean_size: {sum(cases.values()) / max(len(cases), 1):.3f}\n")


if __name__ == "__main__":
    command, *paths = sys.argv[1:]
    steps: dict[str, Callable[..., None]] = {"prepare": prepare, "sanity_check": sanity_check, "statistics": statistics}
    steps[command](*map(Path, paths))
