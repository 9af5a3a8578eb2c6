"""The numpy model containers reproduce scikit-learn's predict_proba; inference needs no labels."""

import csv
from pathlib import Path

import numpy as np
import pytest
from breast_cancer_harness import DATA, PreparedSite, run_task
from model_training import MODEL_NAMES, train_models
from sklearn.pipeline import Pipeline

_TRAINED: dict[str, Pipeline] = {}


def trained(name: str) -> Pipeline:
    """The sklearn model trained from scratch on the committed public part (once per session)."""
    if not _TRAINED:
        _TRAINED.update(train_models(DATA / "public" / "train.csv")[1])
    return _TRAINED[name]


def infer(model: str, data: Path, out: Path) -> dict[str, float]:
    result = run_task(f"model-{model}", "infer", {"data_path": data, "output_path": out})
    assert result.returncode == 0, result.stderr
    with (out / "predictions.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["case_id", "probability"]
    return {case_id: float(p) for case_id, p in rows[1:]}


@pytest.mark.parametrize("model", MODEL_NAMES)
@pytest.mark.parametrize("site", ["site-a", "site-b", "site-c"])
def test_container_predictions_equal_sklearn(
    model: str, site: str, prepared_sites: dict[str, PreparedSite], tmp_path: Path
) -> None:
    prepared = prepared_sites[site]
    predictions = infer(model, prepared.data, tmp_path / "predictions")
    rows = list(csv.reader((prepared.data / "cases.csv").open()))
    x = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
    expected = trained(model).predict_proba(x)[:, 1]
    got = np.array([predictions[r[0]] for r in rows[1:]])
    assert len(predictions) == len(x)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_reference_model_is_accurate_on_a_site(prepared_sites: dict[str, PreparedSite], tmp_path: Path) -> None:
    prepared = prepared_sites["site-a"]
    predictions = infer("logreg", prepared.data, tmp_path / "predictions")
    labels = dict(csv.reader((prepared.labels / "labels.csv").open()))
    correct = [(predictions[cid] >= 0.5) == (labels[cid] == "1") for cid in predictions]
    assert np.mean(correct) > 0.9


def test_missing_weights_are_reported_in_one_line(prepared_sites: dict[str, PreparedSite], tmp_path: Path) -> None:
    result = run_task(
        "model-mlp",
        "infer",
        {"data_path": prepared_sites["demo"].data, "output_path": tmp_path / "p", "additional_files": tmp_path},
    )
    assert result.returncode != 0
    assert (
        result.stderr.strip() == "ERROR: additional_files/weights.json: weights not found; mount the additional files"
    )
