"""infer task of the radial-features logistic regression: predictions/predictions.yaml (case_id -> probability).

`python3 /project/infer.py --data_path DATA --parameters_file P.yaml --additional_files WEIGHTS
 --output_path PREDICTIONS`
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from radial_features import FEATURE_NAMES, features


class InferenceError(Exception):
    """Input the model cannot use; str() is the one line shown to the user."""


def load_model(parameters_file: Path, additional_files: Path) -> tuple[dict[str, Any], np.ndarray]:
    """The regression weights and the lung mask named by parameters.yaml."""
    try:
        parameters = yaml.safe_load(parameters_file.read_text(encoding="utf-8")) or {}
        weights = json.loads((additional_files / parameters["weights_file"]).read_text(encoding="utf-8"))
        mask = np.load(additional_files / parameters["mask_file"], allow_pickle=False).astype(bool)
    except (OSError, KeyError, ValueError, yaml.YAMLError) as err:
        raise InferenceError(f"additional_files: cannot load the model ({err}); mount its additional files") from None
    if tuple(weights.get("feature_names", ())) != FEATURE_NAMES:
        raise InferenceError("additional_files: the weights were trained on other features; retrain (train.py)")
    return weights, mask


def probability(image: np.ndarray, weights: dict[str, Any], mask: np.ndarray) -> float:
    """P(nodule) of one prepared image."""
    x = features(image.astype(np.float64), mask, int(weights["background_window"]))
    z = (x - np.asarray(weights["mean"])) / np.asarray(weights["scale"])
    logit = float(z @ np.asarray(weights["coef"])) + float(weights["intercept"])
    return float(1.0 / (1.0 + np.exp(-logit)))


def infer(args: argparse.Namespace) -> int:
    """Predict every .npy case of data_path into one predictions.yaml; returns the number of cases."""
    weights, mask = load_model(args.parameters_file, args.additional_files)
    cases = sorted(args.data_path.glob("*.npy"))
    if not cases:
        raise InferenceError("data_path: no prepared .npy cases found")
    predictions: dict[str, float] = {}
    for path in cases:
        image = np.load(path, allow_pickle=False)
        if image.shape != mask.shape:
            raise InferenceError(f"data_path/{path.name}: shape {image.shape}, the model expects {mask.shape}")
        predictions[path.stem] = probability(image, weights, mask)
    args.output_path.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(predictions, sort_keys=True)
    (args.output_path / "predictions.yaml").write_text(text, encoding="utf-8")
    return len(predictions)


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
