"""The leaderboard computed independently: the sklearn WDBC split, the committed weights, sklearn metrics."""

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import yaml
from sklearn.metrics import accuracy_score, recall_score, roc_auc_score

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "breast_cancer"
MODELS = ("logreg", "mlp", "gnb")
SITES = ("site-a", "site-b", "site-c")
THRESHOLD = 0.5


def load_module(path: Path) -> ModuleType:
    """A script of the example (not a package) loaded by path."""
    spec = importlib.util.spec_from_file_location(f"e2e_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def site_cases() -> dict[str, tuple[list[str], np.ndarray, np.ndarray]]:
    """Per site: case ids, features (sklearn order = canonical order) and labels (1 = malignant)."""
    split = load_module(EXAMPLE / "wdbc_split.py")
    x, y = split.load_wdbc()
    parts = split.make_split()
    return {site: (parts[site].case_ids, x[parts[site].rows], y[parts[site].rows]) for site in SITES}


def probabilities(model: str, x: np.ndarray) -> np.ndarray:
    """P(malignant) from the committed weights, with the container's numpy forward pass."""
    folder = EXAMPLE / "containers" / f"model-{model}"
    module = load_module(folder / f"infer_{model}.py")
    parameters = yaml.safe_load((folder / "parameters.yaml").read_text()) or {}
    weights = module.load_weights(folder / "additional_files", parameters, module.KIND)
    canonical = load_module(EXAMPLE / "containers" / "prep" / "canonical_features.py")
    assert list(weights["feature_names"]) == list(canonical.FEATURES)
    return np.asarray(module.predict_proba(x, weights), dtype=float)


def expected_metrics() -> dict[tuple[str, str], dict[str, Any]]:
    """(model, site) -> auc, accuracy, sensitivity, specificity and num_cases, by scikit-learn."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for site, (_ids, x, y) in site_cases().items():
        for model in MODELS:
            p = probabilities(model, x)
            predicted = (p >= THRESHOLD).astype(int)
            out[(model, site)] = {
                "auc": float(roc_auc_score(y, p)),
                "accuracy": float(accuracy_score(y, predicted)),
                "sensitivity": float(recall_score(y, predicted, pos_label=1)),
                "specificity": float(recall_score(y, predicted, pos_label=0)),
                "num_cases": len(y),
            }
    return out
