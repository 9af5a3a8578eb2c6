"""Fit the two models on data/public with scikit-learn and write their weights: `python train.py`.

ridge: StandardScaler + Ridge(alpha=1.0); knn: StandardScaler + KNeighborsRegressor(n_neighbors=15), whose
"weights" are the standardized public training cases (public data). The containers predict in pure numpy.
"""

import json
from pathlib import Path

import numpy as np
from diabetes_split import FEATURES, load_data, make_split
from sklearn.linear_model import Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
RIDGE_ALPHA = 1.0
NEIGHBOURS = 15


def public_part() -> tuple[np.ndarray, np.ndarray]:
    """The public training features and targets."""
    x, y = load_data()
    rows = make_split()["public"].rows
    return x[rows], y[rows]


def fit_ridge(x: np.ndarray, y: np.ndarray) -> tuple[StandardScaler, Ridge]:
    scaler = StandardScaler().fit(x)
    return scaler, Ridge(alpha=RIDGE_ALPHA).fit(scaler.transform(x), y)


def fit_knn(x: np.ndarray, y: np.ndarray) -> tuple[StandardScaler, KNeighborsRegressor]:
    scaler = StandardScaler().fit(x)
    return scaler, KNeighborsRegressor(n_neighbors=NEIGHBOURS).fit(scaler.transform(x), y)


def write_weights() -> None:
    """containers/model-{ridge,knn}/additional_files/weights.json."""
    x, y = public_part()
    scaler, ridge = fit_ridge(x, y)
    common = {"features": list(FEATURES), "mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()}
    weights = {
        "ridge": {"kind": "ridge", **common, "coef": ridge.coef_.tolist(), "intercept": float(ridge.intercept_)},
        "knn": {"kind": "knn", **common, "n_neighbors": NEIGHBOURS,
                "train_x": scaler.transform(x).tolist(), "train_y": y.tolist()},
    }
    for name, content in weights.items():
        path = HERE / "containers" / f"model-{name}" / "additional_files" / "weights.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_weights()
