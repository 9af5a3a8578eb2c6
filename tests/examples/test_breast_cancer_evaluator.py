"""The evaluator's metrics equal scikit-learn's; CIs are seeded; an absent class gives null metrics."""

import csv
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from breast_cancer_harness import CONTAINERS, PreparedSite, run_task
from sklearn.metrics import accuracy_score, recall_score, roc_auc_score

sys.path.insert(0, str(CONTAINERS / "evaluator"))
from binary_metrics import auc  # noqa: E402


def write_two_columns(path: Path, header: list[str], rows: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *rows])


def evaluate(tmp_path: Path, ids: list[str], y: np.ndarray, p: np.ndarray) -> tuple[int, dict, str]:
    write_two_columns(
        tmp_path / "pred" / "predictions.csv",
        ["case_id", "probability"],
        [(c, repr(float(v))) for c, v in zip(ids, p, strict=True)],
    )
    write_two_columns(
        tmp_path / "lab" / "labels.csv", ["case_id", "label"], [(c, str(int(v))) for c, v in zip(ids, y, strict=True)]
    )
    out = tmp_path / "results" / "results.yaml"
    result = run_task(
        "evaluator", "evaluate", {"predictions": tmp_path / "pred", "labels": tmp_path / "lab", "output_path": out}
    )
    return result.returncode, (yaml.safe_load(out.read_text()) if out.exists() else {}), result.stderr


def site_scores(site: PreparedSite, seed: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Labels of a prepared site and noisy, tie-containing scores correlated with them."""
    rows = list(csv.reader((site.labels / "labels.csv").open()))[1:]
    ids = [r[0] for r in rows]
    y = np.array([int(r[1]) for r in rows])
    rng = np.random.default_rng(seed)
    p = np.clip(0.35 * y + rng.uniform(0, 0.65, len(y)), 0, 1).round(2)  # rounding creates ties
    return ids, y, p


@pytest.mark.parametrize("site", ["site-a", "site-b", "site-c"])
def test_metrics_equal_sklearn(site: str, prepared_sites: dict[str, PreparedSite], tmp_path: Path) -> None:
    ids, y, p = site_scores(prepared_sites[site], seed=len(site))
    code, results, stderr = evaluate(tmp_path, ids, y, p)
    assert code == 0, stderr
    y_pred = (p >= 0.5).astype(int)
    assert abs(results["auc"] - roc_auc_score(y, p)) < 1e-12
    assert abs(results["accuracy"] - accuracy_score(y, y_pred)) < 1e-12
    assert abs(results["sensitivity"] - recall_score(y, y_pred, pos_label=1)) < 1e-12
    assert abs(results["specificity"] - recall_score(y, y_pred, pos_label=0)) < 1e-12
    assert results["num_cases"] == len(ids)
    for metric in ("auc", "accuracy", "sensitivity", "specificity"):
        assert results[f"{metric}_ci_low"] <= results[metric] <= results[f"{metric}_ci_high"]
        assert results[f"{metric}_ci_high"] - results[f"{metric}_ci_low"] > 0


def test_results_are_reproducible(prepared_sites: dict[str, PreparedSite], tmp_path: Path) -> None:
    ids, y, p = site_scores(prepared_sites["site-a"], seed=1)
    first = evaluate(tmp_path / "1", ids, y, p)[1]
    second = evaluate(tmp_path / "2", ids, y, p)[1]
    assert first == second


def test_a_missing_class_gives_null_auc_and_sensitivity(tmp_path: Path) -> None:
    ids = [f"X-{i}" for i in range(30)]
    y = np.zeros(30, dtype=int)
    p = np.linspace(0.0, 0.9, 30)
    code, results, stderr = evaluate(tmp_path, ids, y, p)
    assert code == 0, stderr
    assert results["auc"] is None and results["auc_ci_low"] is None and results["auc_ci_high"] is None
    assert results["sensitivity"] is None
    assert results["specificity"] == pytest.approx(recall_score(y, (p >= 0.5).astype(int), pos_label=0))


def test_a_case_without_prediction_is_refused(tmp_path: Path) -> None:
    write_two_columns(tmp_path / "pred" / "predictions.csv", ["case_id", "probability"], [("A", "0.2")])
    write_two_columns(tmp_path / "lab" / "labels.csv", ["case_id", "label"], [("A", "0"), ("B", "1")])
    out = tmp_path / "results.yaml"
    result = run_task(
        "evaluator", "evaluate", {"predictions": tmp_path / "pred", "labels": tmp_path / "lab", "output_path": out}
    )
    assert result.returncode != 0
    assert "1 labelled cases have no prediction" in result.stderr
    assert not out.exists()


def test_auc_with_many_ties_equals_sklearn() -> None:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 500)
    p = rng.integers(0, 5, 500) / 4.0
    assert abs(auc(y, p) - roc_auc_score(y, p)) < 1e-12
