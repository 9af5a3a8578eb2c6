"""Print JSON figures of hashing a prepared dataset of many small files: full hash vs. incremental check.

Writes N files of --size bytes (default 100,000 x 4 KiB) plus a labels table, records the dataset in a
DatasetIndex (one full, parallel hash), ages the files out of the racy window, then times: a full re-hash
(`medperf dataset verify --full`), the incremental check of an unchanged dataset, and the incremental
check after changing 10 files (best of --repeat; the page cache is warm for all of them).

Usage: .venv/bin/python benchmarks/dataset_check.py [--files 100000] [--size 4096] [--repeat 3]
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from medperf.site.dataset_index import DatasetIndex  # noqa: E402
from medperf.site.dataset_steps import PreparedDataset, prepared_hash  # noqa: E402


def write_dataset(root: Path, files: int, size: int) -> PreparedDataset:
    """files of size bytes in folders of 1,000, and a labels.csv, all with an mtime an hour ago."""
    data, labels = root / "data", root / "labels"
    labels.mkdir(parents=True)
    old = int((time.time() - 3600) * 1e9)
    lines = []
    for index in range(files):
        folder = data / f"{index // 1000:04d}"
        if index % 1000 == 0:
            folder.mkdir(parents=True)
        path = folder / f"case-{index:06d}.bin"
        path.write_bytes(index.to_bytes(8, "little") * (size // 8))
        os.utime(path, ns=(old, old))
        lines.append(f"case-{index:06d},{index % 2}")
    (labels / "labels.csv").write_text("\n".join(lines) + "\n")
    os.utime(labels / "labels.csv", ns=(old, old))
    return PreparedDataset(data, labels, root / "metadata", "")


def best_of(repeat: int, call: Any) -> tuple[float, Any]:
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = call()
        times.append(time.perf_counter() - start)
    return round(min(times), 3), value


def measure(files: int, size: int, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="medperf-dataset-check-") as tmp:
        root = Path(tmp)
        unhashed = write_dataset(root / "prepared", files, size)
        started = time.perf_counter()
        prepared = PreparedDataset(
            unhashed.data, unhashed.labels, unhashed.metadata, prepared_hash(unhashed.data, unhashed.labels)
        )
        first_hash_s = round(time.perf_counter() - started, 3)
        index = DatasetIndex(root / "site")
        started = time.perf_counter()
        index.record(1, prepared)
        record_s = round(time.perf_counter() - started, 3)
        full_s, full = best_of(repeat, lambda: index.verify(1, full=True))
        incremental_s, quick = best_of(repeat, lambda: index.verify(1))
        assert full.intact and quick.intact and quick.rehashed == 0
        for changed in range(10):
            path = prepared.data / "0000" / f"case-{changed:06d}.bin"
            path.write_bytes(b"\xff" * size)
        started = time.perf_counter()
        after_change = index.verify(1)
        changed_s = round(time.perf_counter() - started, 3)
        assert not after_change.intact and after_change.rehashed == 10
        return {
            "files": files + 1,
            "bytes_per_file": size,
            "prepared_hash_s": first_hash_s,
            "record_index_s": record_s,
            "full_rehash_s": full_s,
            "incremental_unchanged_s": incremental_s,
            "incremental_10_changed_s": changed_s,
            "files_read_when_unchanged": quick.rehashed,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps({"cpus": os.cpu_count(), "dataset_check": measure(args.files, args.size, args.repeat)}, indent=2))


if __name__ == "__main__":
    main()
