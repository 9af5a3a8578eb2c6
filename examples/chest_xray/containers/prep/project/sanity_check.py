"""sanity_check task: the prepared arrays, labels and metadata agree with each other and with parameters.yaml.

`python3 /project/sanity_check.py --data_path DATA --labels_path LABELS [--metadata_path META]
 --parameters_file P.yaml` exits 0 when every check passes, else 1 with one line naming the first failure.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from parameters import load_parameters
from prep_errors import PrepError, run_cli
from prepared_layout import case_ids, has_metadata, load_case, read_labels, read_metadata


def check_arrays(data_path: Path, cases: list[str], size: int) -> None:
    """Every case: float32, size x size, finite, within [0, 1]."""
    for case in cases:
        array = load_case(data_path, case)
        where = f"data_path/{case}.npy"
        if array.dtype != np.float32:
            raise PrepError(f"{where}: dtype {array.dtype}, expected float32")
        if array.shape != (size, size):
            raise PrepError(f"{where}: shape {array.shape}, expected ({size}, {size}) (parameters.yaml image_size)")
        if not np.isfinite(array).all():
            raise PrepError(f"{where}: contains NaN or infinite values")
        if float(array.min()) < 0.0 or float(array.max()) > 1.0:
            raise PrepError(f"{where}: values outside [0, 1]; intensities were not normalised")


def check(args: argparse.Namespace) -> str:
    """Run every check; returns the summary line."""
    parameters = load_parameters(args.parameters_file)
    cases = case_ids(args.data_path)
    if len(cases) < parameters.min_cases:
        raise PrepError(f"data_path: {len(cases)} prepared cases, fewer than min_cases={parameters.min_cases}")
    labels = read_labels(args.labels_path)
    if set(labels) != set(cases):
        odd = sorted(set(labels) ^ set(cases))[0]
        raise PrepError(f"labels_path/labels.yaml: case {odd!r} is not both in the labels and in data_path")
    check_arrays(args.data_path, cases, parameters.image_size)
    if has_metadata(args.metadata_path):
        described = [row["case_id"] for row in read_metadata(args.metadata_path)]
        if sorted(described) != cases:
            raise PrepError("metadata_path/cases.csv: its case ids differ from the prepared cases")
    return f"sanity check passed: {len(cases)} cases"


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run the checks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_path", type=Path, required=True)
    parser.add_argument("--labels_path", type=Path, required=True)
    parser.add_argument("--metadata_path", type=Path)
    parser.add_argument("--parameters_file", type=Path, required=True)
    args = parser.parse_args(argv)
    return run_cli(lambda: check(args))


if __name__ == "__main__":
    sys.exit(main())
