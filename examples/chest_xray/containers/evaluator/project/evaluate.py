"""evaluate task: AUC, accuracy, sensitivity, specificity (+ bootstrap CIs) and num_cases -> results.yaml.

The image's ENTRYPOINT runs `python3 /project/evaluate.py` with no arguments: every path defaults to the
mount path container_config.yaml declares. Outside a container give them as options (--predictions ...).
A per-case table goes to local_outputs_path (it stays on the site) when that folder is mounted.
"""

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from binary_metrics import METRICS
from bootstrap import bootstrap_ci
from prediction_files import EvaluationError, aligned, read_labels, read_predictions

MOUNTS = Path("/mlcommons/volumes")


def compute_results(y: np.ndarray, p: np.ndarray, parameters: dict[str, Any]) -> dict[str, Any]:
    """Every metric with its bootstrap CI, plus num_cases; undefined values are None."""
    threshold = float(parameters.get("threshold", 0.5))
    resamples = int(parameters.get("bootstrap_resamples", 1000))
    seed = int(parameters.get("bootstrap_seed", 20260301))
    level = float(parameters.get("ci_level", 0.95))
    results: dict[str, Any] = {}
    for name, metric in METRICS.items():
        results[name] = metric(y, p, threshold)
        low, high = bootstrap_ci(metric, y, p, threshold, resamples, seed, level)
        results[f"{name}_ci_low"], results[f"{name}_ci_high"] = low, high
    results["num_cases"] = len(y)
    return results


def write_per_case(folder: Path, cases: list[str], y: np.ndarray, p: np.ndarray, threshold: float) -> None:
    """local_outputs_path/per_case.csv: case, label, probability, prediction (never uploaded)."""
    with (folder / "per_case.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["case_id", "label", "nodule_probability", "predicted"])
        for case, label, probability in zip(cases, y, p, strict=True):
            writer.writerow([case, int(label), repr(float(probability)), int(probability >= threshold)])


def evaluate(args: argparse.Namespace) -> int:
    """Run the task; returns the number of cases."""
    if not args.parameters_file.is_file():
        raise EvaluationError(
            f"parameters_file: {args.parameters_file} not found; mount the evaluator's parameters.yaml"
        )
    parameters: dict[str, Any] = yaml.safe_load(args.parameters_file.read_text(encoding="utf-8")) or {}
    if not isinstance(parameters, dict):
        raise EvaluationError("parameters_file: must be a mapping of parameter names to values")
    cases, y, p = aligned(read_predictions(args.predictions), read_labels(args.labels))
    results = compute_results(y, p, parameters)
    args.output_path.parent.mkdir(parents=True, exist_ok=True)
    args.output_path.write_text(yaml.safe_dump(results, sort_keys=False), encoding="utf-8")
    if args.local_outputs_path.is_dir():
        write_per_case(args.local_outputs_path, cases, y, p, float(parameters.get("threshold", 0.5)))
    return len(cases)


def main(argv: list[str] | None = None) -> int:
    """Parse the (optional) arguments and run; bad inputs print one line on stderr and exit 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--predictions", type=Path, default=MOUNTS / "predictions")
    parser.add_argument("--labels", type=Path, default=MOUNTS / "labels")
    parser.add_argument("--parameters_file", type=Path, default=MOUNTS / "parameters" / "parameters_file.yaml")
    parser.add_argument("--output_path", type=Path, default=MOUNTS / "results" / "results.yaml")
    parser.add_argument("--local_outputs_path", type=Path, default=MOUNTS / "local_outputs")
    args = parser.parse_args(argv)
    try:
        count = evaluate(args)
    except (EvaluationError, OSError, yaml.YAMLError) as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    print(f"evaluated {count} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
