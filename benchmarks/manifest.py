"""Print JSON figures of building the per-case manifest of folders of small .npy files (with a labels table).

For each size: write N arrays of 64x64 float32 (16 KiB each) and a labels.csv, then time build_manifest
(every file memory-mapped and summarised, labels joined) and count_cases (listing only), best of --repeat.

Usage: .venv/bin/python benchmarks/manifest.py [--sizes 1000 10000] [--repeat 3]
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from medperf.site.manifest import build_manifest, count_cases  # noqa: E402


def write_cases(root: Path, n: int) -> tuple[Path, Path]:
    """n arrays of 64x64 float32 and one labels.csv naming each case."""
    data, labels = root / "data", root / "labels"
    data.mkdir()
    labels.mkdir()
    rng = np.random.default_rng(0)
    lines = ["case,label"]
    for index in range(n):
        np.save(data / f"case-{index:06d}.npy", rng.random((64, 64), dtype=np.float32))
        lines.append(f"case-{index:06d},{index % 2}")
    (labels / "labels.csv").write_text("\n".join(lines) + "\n")
    return data, labels


def best_of(repeat: int, call: Any) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return round(min(times), 3)


def measure(n: int, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="medperf-manifest-") as tmp:
        data, labels = write_cases(Path(tmp), n)
        manifest = build_manifest(data, labels)
        assert len(manifest.table) == n and manifest.labels.matched == n
        return {
            "files": n,
            "build_manifest_s": best_of(repeat, lambda: build_manifest(data, labels)),
            "count_cases_s": best_of(repeat, lambda: count_cases(data)),
            "columns": len(manifest.table.columns),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = [measure(n, args.repeat) for n in args.sizes]
    print(json.dumps({"cpus": os.cpu_count(), "manifest": results}, indent=2))


if __name__ == "__main__":
    main()
