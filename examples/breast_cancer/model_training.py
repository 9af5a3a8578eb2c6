"""Training of the three benchmark models on the public part and export of their weights as JSON."""

import csv
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

TRAIN_SEED = 20260101
MODEL_NAMES = ("logreg", "mlp", "gnb")


def read_public(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Feature names, X and y (1 = malignant) from data/public/train.csv."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    features = header[1:-1]
    x = np.asarray([[float(v) for v in row[1:-1]] for row in rows], dtype=float)
    y = np.asarray([int(row[-1]) for row in rows], dtype=np.int64)
    return features, x, y


def make_model(name: str) -> Pipeline:
    """A standardizing pipeline around the named classifier."""
    if name == "logreg":
        classifier: Any = LogisticRegression(C=1.0, max_iter=5000)
    elif name == "mlp":
        classifier = MLPClassifier(hidden_layer_sizes=(16,), alpha=1e-2, max_iter=3000, random_state=TRAIN_SEED)
    elif name == "gnb":
        classifier = GaussianNB()
    else:
        raise ValueError(f"unknown model {name!r}; use one of {', '.join(MODEL_NAMES)}")
    return make_pipeline(StandardScaler(), classifier)


def train_models(public_csv: Path) -> tuple[list[str], dict[str, Pipeline]]:
    """Fit every model on the public part."""
    features, x, y = read_public(public_csv)
    return features, {name: make_model(name).fit(x, y) for name in MODEL_NAMES}


def export_weights(name: str, model: Pipeline, features: list[str]) -> dict[str, Any]:
    """The JSON the model container reads; floats are exact (json writes repr)."""
    scaler: StandardScaler = model[0]
    classifier = model[-1]
    if list(classifier.classes_) != [0, 1]:
        raise ValueError("classes must be [0, 1]")
    weights: dict[str, Any] = {
        "feature_names": features,
        "scaler_mean": scaler.mean_.tolist(),
        "scaler_scale": scaler.scale_.tolist(),
    }
    if name == "logreg":
        weights |= {
            "kind": "logistic_regression",
            "coef": classifier.coef_[0].tolist(),
            "intercept": float(classifier.intercept_[0]),
        }
    elif name == "mlp":
        weights |= {
            "kind": "mlp",
            "activation": classifier.activation,
            "coefs": [c.tolist() for c in classifier.coefs_],
            "intercepts": [b.tolist() for b in classifier.intercepts_],
        }
    else:
        weights |= {
            "kind": "gaussian_nb",
            "class_prior": classifier.class_prior_.tolist(),
            "theta": classifier.theta_.tolist(),
            "var": classifier.var_.tolist(),
        }
    return weights
