"""Train both models on a generated training split and write their weights: `python train.py [--out DIR]`.

1. generate.py's TRAINING split (360 cases, all three acquisition styles; never committed) is written to a
   temporary folder and prepared with the preparator's own prepare.py, exactly as a site would.
2. The lung mask = pixels whose mean prepared intensity over the training cases lies in MASK_RANGE
   (darker than soft tissue, brighter than the air outside the body), eroded by 2 pixels (lung borders
   give strong edges, not nodules).
3. model-template: template sigma and background window chosen by training AUC on a small grid, then a
   one-feature logistic regression calibrates the blob response into a probability.
4. model-radial: standardised radial features -> logistic regression (scikit-learn, L2, C=1).
Weights go to containers/model-*/workspace/additional_files/ (or under --out). Deterministic.
Needs the project venv (numpy, Pillow, PyYAML, scikit-learn).
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml
from generate import TRAINING, generate
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

HERE = Path(__file__).resolve().parent
CONTAINERS = HERE / "containers"
sys.path[:0] = [str(CONTAINERS / "model-template" / "project"), str(CONTAINERS / "model-radial" / "project")]
from nodule_filter import strongest_blob  # noqa: E402
from radial_features import FEATURE_NAMES, features  # noqa: E402

MASK_RANGE = (0.15, 0.45)
SIGMAS = (1.0, 1.5, 2.0)
BACKGROUND_WINDOWS = (7, 11)
RADIAL_BACKGROUND = 9
Images = npt.NDArray[np.float64]


def prepare_training(root: Path) -> tuple[Images, npt.NDArray[np.int64]]:
    """Generate and prepare the training split; (images, labels) in case order."""
    images: list[npt.NDArray[np.float64]] = []
    labels: list[int] = []
    prep = CONTAINERS / "prep"
    for name, folder in generate(root / "raw", TRAINING).items():
        out = root / "prepared" / name
        command = [
            sys.executable, str(prep / "project" / "prepare.py"),
            "--data_path", str(folder / "images"), "--labels_path", str(folder / "labels"),
            "--parameters_file", str(prep / "workspace" / "parameters.yaml"),
            "--output_path", str(out / "data"), "--output_labels_path", str(out / "labels"),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, text=True)
        case_labels = yaml.safe_load((out / "labels" / "labels.yaml").read_text(encoding="utf-8"))
        for case in sorted(case_labels):
            images.append(np.load(out / "data" / f"{case}.npy").astype(np.float64))
            labels.append(int(case_labels[case]))
    return np.stack(images), np.asarray(labels, dtype=np.int64)


def lung_mask(images: Images) -> npt.NDArray[np.uint8]:
    """Lung-dark pixels of the mean training image, eroded by 2 pixels."""
    mean = images.mean(axis=0)
    lungs = (mean > MASK_RANGE[0]) & (mean < MASK_RANGE[1])
    eroded = sliding_window_view(np.pad(lungs, 2, mode="constant"), (5, 5)).all(axis=(-2, -1))
    mask: npt.NDArray[np.uint8] = np.asarray(eroded, dtype=np.uint8)
    return mask


def fit_logistic(x: npt.NDArray[np.float64], y: npt.NDArray[np.int64]) -> LogisticRegression:
    """L2 logistic regression (C=1, lbfgs): deterministic."""
    return LogisticRegression(C=1.0, max_iter=5000).fit(x, y)


def train_template(images: Images, labels: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_]) -> dict[str, Any]:
    """The detector's settings: best (sigma, window) by training AUC, then the calibration."""
    best: tuple[float, float, int] | None = None
    for sigma in SIGMAS:
        for window in BACKGROUND_WINDOWS:
            scores = [strongest_blob(image, mask, sigma, window)[0] for image in images]
            auc = float(roc_auc_score(labels, scores))
            if best is None or auc > best[0]:
                best = (auc, sigma, window)
    assert best is not None
    _, sigma, window = best
    responses = np.asarray([strongest_blob(image, mask, sigma, window)[0] for image in images])
    model = fit_logistic(responses[:, None], labels)
    return {
        "template_sigma": sigma,
        "background_window": window,
        "slope": float(model.coef_[0, 0]),
        "intercept": float(model.intercept_[0]),
        "training_auc": round(best[0], 4),
    }


def train_radial(images: Images, labels: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_]) -> dict[str, Any]:
    """Scaler and logistic-regression coefficients of the radial features."""
    x = np.stack([features(image, mask, RADIAL_BACKGROUND) for image in images])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    model = fit_logistic((x - mean) / scale, labels)
    probabilities = model.predict_proba((x - mean) / scale)[:, 1]
    return {
        "feature_names": list(FEATURE_NAMES),
        "background_window": RADIAL_BACKGROUND,
        "mean": [float(v) for v in mean],
        "scale": [float(v) for v in scale],
        "coef": [float(v) for v in model.coef_[0]],
        "intercept": float(model.intercept_[0]),
        "training_auc": round(float(roc_auc_score(labels, probabilities)), 4),
    }


def write_weights(
    containers: Path, mask: npt.NDArray[np.uint8], template: dict[str, Any], radial: dict[str, Any]
) -> None:
    """The mask and weights files of both models' workspace/additional_files."""
    for model, name, weights in (
        ("model-template", "detector.json", template),
        ("model-radial", "radial_logreg.json", radial),
    ):
        folder = containers / model / "workspace" / "additional_files"
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "lung_mask.npy", mask, allow_pickle=False)
        (folder / name).write_text(json.dumps(weights, indent=1) + "\n", encoding="utf-8")


def train(containers: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the whole training and write the weights under `containers`; returns both weight mappings."""
    with tempfile.TemporaryDirectory(prefix="chest-xray-train-") as tmp:
        images, labels = prepare_training(Path(tmp))
    mask = lung_mask(images)
    template = train_template(images, labels, mask.astype(bool))
    radial = train_radial(images, labels, mask.astype(bool))
    write_weights(containers, mask, template, radial)
    return template, radial


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CONTAINERS, help="containers folder to write into")
    args = parser.parse_args()
    template, radial = train(args.out)
    print(f"template: sigma {template['template_sigma']}, window {template['background_window']}, "
          f"training AUC {template['training_auc']}")  # fmt: skip
    print(f"radial: training AUC {radial['training_auc']}")


if __name__ == "__main__":
    main()
