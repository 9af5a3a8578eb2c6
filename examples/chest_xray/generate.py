"""Generate the synthetic chest X-ray data of every site: `python generate.py [--out DIR] [--training]`.

Deterministic: case k of a site always comes from the random generator seeded with (SEED, site index, k),
so the same files (the same pixel values and the same labels CSVs) come out on every run.
Writes <out>/<site>/images/*.png (data_path) and <out>/<site>/labels/<file>.csv (labels_path).
"""

import argparse
import csv
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from acquisition import AcquisitionProfile, acquire, write_png
from phantom import draw_anatomy, render

HERE = Path(__file__).resolve().parent
SEED = 20260301


@dataclass(frozen=True)
class SiteSpec:
    """One site's cohort, acquisition and labels-file convention."""

    name: str
    index: int
    prefix: str
    cases: int
    positives: int
    profile: AcquisitionProfile
    labels_file: str
    image_column: str
    label_column: str
    codes: tuple[str, str]  # (negative, positive)
    with_extension: bool  # the labels CSV names the PNG file (True) or the case id (False)


PROFILE_A = AcquisitionProfile(size=64, bits=8, gain=1.0, offset=0.0, noise=0.025)
PROFILE_B = AcquisitionProfile(size=64, bits=16, gain=1.05, offset=0.10, noise=0.045)
PROFILE_C = AcquisitionProfile(size=96, bits=8, gain=0.9, offset=0.04, noise=0.02)

SITES: dict[str, SiteSpec] = {
    "site-a": SiteSpec(
        "site-a", 1, "CXR-A", 90, 27, PROFILE_A, "labels.csv", "image", "finding", ("normal", "nodule"), True
    ),
    "site-b": SiteSpec(
        "site-b", 2, "CXR-B", 80, 24, PROFILE_B, "findings.csv", "file_name", "nodule_present", ("no", "yes"), True
    ),
    "site-c": SiteSpec(
        "site-c", 3, "CXR-C", 72, 22, PROFILE_C, "ground_truth.csv", "StudyImage", "Label", ("0", "1"), False
    ),
    "demo": SiteSpec(
        "demo", 4, "CXR-D", 24, 8, PROFILE_A, "labels.csv", "image", "finding", ("normal", "nodule"), True
    ),
}
# The public training split used by train.py (not committed): all three acquisition styles, site-a's CSV.
TRAINING: dict[str, SiteSpec] = {
    f"train-{letter}": replace(SITES["site-a"], name=f"train-{letter}", index=10 + i, prefix=f"CXR-T{letter.upper()}",
                               cases=120, positives=40, profile=profile)
    for i, (letter, profile) in enumerate((("a", PROFILE_A), ("b", PROFILE_B), ("c", PROFILE_C)))
}  # fmt: skip


def case_labels(spec: SiteSpec) -> list[int]:
    """0/1 per case: exactly `positives` nodule cases, at seeded random positions."""
    order = np.random.default_rng([SEED, spec.index]).permutation(spec.cases)
    labels = np.zeros(spec.cases, dtype=int)
    labels[order[: spec.positives]] = 1
    return [int(v) for v in labels]


def generate_site(spec: SiteSpec, out: Path) -> Path:
    """Write one site's PNGs and labels CSV under out/<site>; returns that folder."""
    folder = out / spec.name
    rows: list[tuple[str, str]] = []
    for k, label in enumerate(case_labels(spec), start=1):
        case_id = f"{spec.prefix}-{k:04d}"
        rng = np.random.default_rng([SEED, spec.index, k])
        anatomy = draw_anatomy(rng, has_nodule=bool(label))
        values = acquire(render(spec.profile.size, anatomy), spec.profile, rng)
        write_png(folder / "images" / f"{case_id}.png", values, spec.profile.bits)
        rows.append((f"{case_id}.png" if spec.with_extension else case_id, spec.codes[label]))
    labels_path = folder / "labels" / spec.labels_file
    labels_path.parent.mkdir(parents=True, exist_ok=True)
    with labels_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([spec.image_column, spec.label_column])
        writer.writerows(rows)
    return folder


def generate(out: Path, sites: dict[str, SiteSpec] | None = None) -> dict[str, Path]:
    """Write every site (default: the three sites and the demo) under out; returns site -> folder."""
    return {name: generate_site(spec, out) for name, spec in (sites or SITES).items()}


def main() -> None:
    """Command line: the committed data (default) or the training split."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "data", help="output folder (default: data/)")
    parser.add_argument("--training", action="store_true", help="write the training split instead of the sites")
    args = parser.parse_args()
    written = generate(args.out, TRAINING if args.training else SITES)
    for name, folder in written.items():
        print(f"{name}: {folder}")


if __name__ == "__main__":
    main()
