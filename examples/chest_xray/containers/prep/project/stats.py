"""statistics task: aggregate, k-safe statistics of a prepared dataset -> statistics.yaml (nothing per case).

`python3 /project/stats.py --data_path DATA --labels_path LABELS [--metadata_path META]
 --parameters_file P.yaml --output_path statistics.yaml`
"""

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from parameters import load_parameters
from prep_errors import PrepError, run_cli
from prepared_layout import case_ids, has_metadata, load_case, read_labels, read_metadata

LABEL_NAMES = {0: "normal", 1: "nodule"}


def _safe_counts(counts: dict[str, int], key: str, k: int, suppressed: list[str]) -> dict[str, int | None]:
    """Counts below k become None and are listed (as key paths) in suppressed."""
    safe: dict[str, int | None] = {}
    for name, count in counts.items():
        if 0 < count < k:
            safe[name] = None
            suppressed.append(f"{key}.{name}")
        else:
            safe[name] = count
    return safe


def statistics(args: argparse.Namespace) -> dict[str, Any]:
    """The statistics payload of the prepared dataset."""
    parameters = load_parameters(args.parameters_file)
    k = parameters.min_cell_count
    cases = case_ids(args.data_path)
    labels = read_labels(args.labels_path)
    if set(labels) != set(cases):
        raise PrepError("labels_path/labels.yaml: its cases differ from data_path; run sanity_check")
    pixels = np.stack([load_case(args.data_path, case).astype(np.float64) for case in cases]) if cases else None
    suppressed: list[str] = []
    too_few = 0 < len(cases) < k
    counts = {name: sum(1 for case in cases if labels[case] == value) for value, name in LABEL_NAMES.items()}
    result: dict[str, Any] = {
        "num_cases": None if too_few else len(cases),
        "label_counts": _safe_counts(counts, "label_counts", k, suppressed),
        "image_size": {"height": parameters.image_size, "width": parameters.image_size},
        "intensity": None
        if too_few or pixels is None
        else {"mean": round(float(pixels.mean()), 6), "std": round(float(pixels.std()), 6)},
    }
    if too_few:
        suppressed[:0] = ["num_cases", "intensity"]
    if has_metadata(args.metadata_path):
        rows = read_metadata(args.metadata_path)
        sizes = Counter(f"{row['source_height']}x{row['source_width']}" for row in rows)
        bits = Counter(f"{row['bits']}bit" for row in rows)
        result["source_size_counts"] = _safe_counts(dict(sorted(sizes.items())), "source_size_counts", k, suppressed)
        result["bit_depth_counts"] = _safe_counts(dict(sorted(bits.items())), "bit_depth_counts", k, suppressed)
    result["min_cell_count"] = k
    result["suppressed"] = suppressed
    return result


def write_statistics(args: argparse.Namespace) -> str:
    """Compute and write statistics.yaml; returns the summary line."""
    result = statistics(args)
    args.output_path.parent.mkdir(parents=True, exist_ok=True)
    args.output_path.write_text(yaml.safe_dump(result, sort_keys=False), encoding="utf-8")
    return f"statistics written ({len(result['suppressed'])} cells suppressed)"


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run the task."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_path", type=Path, required=True)
    parser.add_argument("--labels_path", type=Path, required=True)
    parser.add_argument("--metadata_path", type=Path)
    parser.add_argument("--parameters_file", type=Path, required=True)
    parser.add_argument("--output_path", type=Path, required=True)
    args = parser.parse_args(argv)
    return run_cli(lambda: write_statistics(args))


if __name__ == "__main__":
    sys.exit(main())
