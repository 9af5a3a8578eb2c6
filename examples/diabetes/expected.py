"""Every site's metrics computed directly with scikit-learn: `python expected.py` prints them as JSON.

The models are refitted here with scikit-learn (train.py's recipe) and scored with mean_absolute_error,
the root of mean_squared_error and r2_score on each site's split; the federated leaderboard must agree.
"""

import json
import math

import numpy as np
from diabetes_split import FEATURES, load_data, make_split
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from train import fit_knn, fit_ridge, public_part

SITES = ("site-a", "site-b", "site-c")
MODELS = ("ridge", "knn")
AGE_EDGES, AGE_NAMES = (45, 60), ("under-45", "45-59", "60-plus")  # the prep's age_band column
MIN_CELL = 5  # the release policy's k: a subgroup of fewer cases is not released


def site_predictions() -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """(model, site) -> (targets, scikit-learn's predictions)."""
    x, y = load_data()
    train_x, train_y = public_part()
    fitted = {"ridge": fit_ridge(train_x, train_y), "knn": fit_knn(train_x, train_y)}
    out = {}
    for site in SITES:
        rows = make_split()[site].rows
        for model, (scaler, estimator) in fitted.items():
            out[(model, site)] = (y[rows], np.asarray(estimator.predict(scaler.transform(x[rows]))))
    return out


def expected_metrics() -> dict[tuple[str, str], dict[str, float]]:
    """(model, site) -> mae, rmse, r2 and num_cases from scikit-learn."""
    return {
        key: {"mae": float(mean_absolute_error(y, p)), "rmse": math.sqrt(float(mean_squared_error(y, p))),
              "r2": float(r2_score(y, p)), "num_cases": len(y)}
        for key, (y, p) in site_predictions().items()
    }


def subgroup_masks(site: str) -> dict[str, np.ndarray]:
    """'sex=1', 'age_band=45-59', ... -> which of the site's cases belong to it (the declared task.subgroups)."""
    x, _ = load_data()
    rows = x[make_split()[site].rows]
    sex, bands = rows[:, FEATURES.index("sex")], np.digitize(rows[:, FEATURES.index("age")], AGE_EDGES)
    masks = {f"sex={int(value)}": sex == value for value in np.unique(sex)}
    masks |= {f"age_band={name}": bands == index for index, name in enumerate(AGE_NAMES)}
    return masks


def expected_subgroup_mae() -> dict[tuple[str, str], dict[str, float]]:
    """(model, site) -> subgroup -> MAE from scikit-learn, for every subgroup of at least MIN_CELL cases."""
    out = {}
    for (model, site), (y, p) in site_predictions().items():
        out[(model, site)] = {name: float(mean_absolute_error(y[mask], p[mask]))
                              for name, mask in subgroup_masks(site).items() if mask.sum() >= MIN_CELL}
    return out


if __name__ == "__main__":
    print(json.dumps({f"{m}@{s}": v for (m, s), v in expected_metrics().items()}, indent=2))
    print(json.dumps({f"{m}@{s}": v for (m, s), v in expected_subgroup_mae().items()}, indent=2))
