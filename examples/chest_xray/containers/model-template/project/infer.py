"""infer task of the template-matching detector: one predictions/<case_id>.json per prepared case.

`python3 /project/infer.py --data_path DATA --parameters_file P.yaml --additional_files WEIGHTS
 --output_path PREDICTIONS`. Each JSON holds nodule_probability and where the strongest blob was found.
"""

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from nodule_filter import strongest_blob


class InferenceError(Exception):
    """Input the model cannot use; str() is the one line shown to the user."""


def load_model(parameters_file: Path, additional_files: Path) -> tuple[dict[str, Any], np.ndarray]:
    """The detector settings and the lung mask named by parameters.yaml."""
    try:
        parameters = yaml.safe_load(parameters_file.read_text(encoding="utf-8")) or {}
        weights = json.loads((additional_files / parameters["weights_file"]).read_text(encoding="utf-8"))
        mask = np.load(additional_files / parameters["mask_file"], allow_pickle=False).astype(bool)
    except (OSError, KeyError, ValueError, yaml.YAMLError) as err:
        raise InferenceError(
            f"additional_files: cannot load the detector ({err}); mount its additional files"
        ) from None
    return weights, mask


def predict(image: np.ndarray, weights: dict[str, Any], mask: np.ndarray) -> dict[str, Any]:
    """The prediction record of one case."""
    response, row, col = strongest_blob(
        image.astype(np.float64), mask, float(weights["template_sigma"]), int(weights["background_window"])
    )
    logit = float(weights["slope"]) * response + float(weights["intercept"])
    probability = 1.0 / (1.0 + math.exp(-logit))
    return {"nodule_probability": probability, "detection": {"row": row, "col": col, "response": response}}


def infer(args: argparse.Namespace) -> int:
    """Predict every .npy case of data_path; returns the number of cases."""
    weights, mask = load_model(args.parameters_file, args.additional_files)
    cases = sorted(args.data_path.glob("*.npy"))
    if not cases:
        raise InferenceError("data_path: no prepared .npy cases found")
    args.output_path.mkdir(parents=True, exist_ok=True)
    for path in cases:
        image = np.load(path, allow_pickle=False)
        if image.shape != mask.shape:
            raise InferenceError(f"data_path/{path.name}: shape {image.shape}, the detector expects {mask.shape}")
        record = {"case_id": path.stem, **predict(image, weights, mask)}
        (args.output_path / f"{path.stem}.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return len(cases)


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run the task; a user error prints one line and exits 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_path", type=Path, required=True)
    parser.add_argument("--parameters_file", type=Path, required=True)
    parser.add_argument("--additional_files", type=Path, required=True)
    parser.add_argument("--output_path", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        count = infer(args)
    except InferenceError as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    print(f"predicted {count} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
