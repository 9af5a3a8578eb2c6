"""The evaluator, run directly from its ENTRYPOINT: metrics equal scikit-learn's for both prediction layouts."""

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from chest_xray_harness import (
    CAMPAIGN_SITES,
    CONTAINERS,
    MODELS,
    direct_command,
    dockerfile_entrypoint,
    expected_campaign,
    load_config,
    run_direct,
)
from sklearn.metrics import accuracy_score, recall_score, roc_auc_score

EVALUATOR_PARAMETERS = yaml.safe_load((CONTAINERS / "evaluator" / "workspace" / "parameters.yaml").read_text())


def test_evaluator_has_no_run_args_and_runs_its_entrypoint() -> None:
    task = load_config("evaluator")["tasks"]["evaluate"]
    assert "run_args" not in task
    assert dockerfile_entrypoint("evaluator") == ["python3", "/project/evaluate.py"]
    command = direct_command("evaluator", "evaluate", {"predictions": Path("p"), "labels": Path("l")})
    assert command[1] == str(CONTAINERS / "evaluator" / "project" / "evaluate.py")


def scores_of(folder: Path) -> dict[str, float]:
    """Both layouts, read independently of the evaluator."""
    if (folder / "predictions.yaml").is_file():
        scores: dict[str, float] = yaml.safe_load((folder / "predictions.yaml").read_text())
        return scores
    return {p.stem: json.loads(p.read_text())["nodule_probability"] for p in folder.glob("*.json")}


def assert_equals_sklearn(results: dict[str, Any], y: np.ndarray, p: np.ndarray) -> None:
    y_pred = (p >= EVALUATOR_PARAMETERS["threshold"]).astype(int)
    assert results["auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert results["accuracy"] == pytest.approx(accuracy_score(y, y_pred), abs=1e-12)
    assert results["sensitivity"] == pytest.approx(recall_score(y, y_pred, pos_label=1), abs=1e-12)
    assert results["specificity"] == pytest.approx(recall_score(y, y_pred, pos_label=0), abs=1e-12)
    assert results["num_cases"] == len(y)
    for metric in ("auc", "accuracy", "sensitivity", "specificity"):
        assert results[f"{metric}_ci_low"] <= results[metric] <= results[f"{metric}_ci_high"]


@pytest.mark.parametrize("site", CAMPAIGN_SITES)
@pytest.mark.parametrize("model", list(MODELS))
def test_metrics_on_real_predictions_equal_sklearn(site: str, model: str) -> None:
    expected = expected_campaign()[site]
    labels = yaml.safe_load((expected.site.labels / "labels.yaml").read_text())
    scores = scores_of(expected.predictions[model])
    cases = sorted(labels)
    y = np.array([labels[c] for c in cases])
    p = np.array([scores[c] for c in cases])
    assert_equals_sklearn(expected.results[model], y, p)


def write_inputs(tmp_path: Path, y: np.ndarray, p: np.ndarray, layout: str) -> tuple[Path, Path]:
    cases = [f"CASE-{i:03d}" for i in range(len(y))]
    labels, predictions = tmp_path / "labels", tmp_path / "predictions"
    labels.mkdir()
    predictions.mkdir()
    (labels / "labels.yaml").write_text(yaml.safe_dump({c: int(v) for c, v in zip(cases, y, strict=True)}))
    if layout == "yaml":
        (predictions / "predictions.yaml").write_text(
            yaml.safe_dump({c: float(v) for c, v in zip(cases, p, strict=True)})
        )
    else:
        for case, value in zip(cases, p, strict=True):
            (predictions / f"{case}.json").write_text(json.dumps({"nodule_probability": float(value)}))
    return predictions, labels


def evaluate(tmp_path: Path, predictions: Path, labels: Path, **extra: Path) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "results" / "results.yaml"
    done = run_direct(
        "evaluator", "evaluate", {"predictions": predictions, "labels": labels, "output_path": out, **extra}
    )
    return done.returncode, (yaml.safe_load(out.read_text()) if out.exists() else {}), done.stderr.strip()


@pytest.mark.parametrize("layout", ["yaml", "json"])
def test_tied_scores_in_either_layout_equal_sklearn(layout: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    y = (rng.uniform(size=60) < 0.3).astype(int)
    p = np.clip(0.3 * y + rng.uniform(0, 0.7, 60), 0, 1).round(1)  # rounding makes many ties
    code, results, stderr = evaluate(tmp_path, *write_inputs(tmp_path, y, p, layout))
    assert code == 0, stderr
    assert_equals_sklearn(results, y, p)


def test_one_class_gives_null_auc_and_sensitivity(tmp_path: Path) -> None:
    y, p = np.zeros(12, dtype=int), np.linspace(0.1, 0.9, 12)
    code, results, stderr = evaluate(tmp_path, *write_inputs(tmp_path, y, p, "yaml"))
    assert code == 0, stderr
    assert results["auc"] is None and results["auc_ci_low"] is None and results["sensitivity"] is None
    assert results["specificity"] == pytest.approx(float(np.mean(p < 0.5)))


def test_per_case_table_goes_to_local_outputs_only(tmp_path: Path) -> None:
    y, p = np.array([0, 1, 0, 1, 1, 0]), np.array([0.2, 0.8, 0.6, 0.4, 0.9, 0.1])
    predictions, labels = write_inputs(tmp_path, y, p, "json")
    (tmp_path / "local").mkdir()
    code, results, stderr = evaluate(tmp_path, predictions, labels, local_outputs_path=tmp_path / "local")
    assert code == 0, stderr
    rows = list(csv.DictReader((tmp_path / "local" / "per_case.csv").open()))
    assert [int(r["predicted"]) for r in rows] == [0, 1, 1, 0, 1, 0]
    assert all(not isinstance(v, list | dict) for v in results.values())


def drop_one(predictions: Path) -> None:
    sorted(predictions.glob("*.json"))[0].unlink()


def both_layouts(predictions: Path) -> None:
    (predictions / "predictions.yaml").write_text("CASE-000: 0.5\n")


def out_of_range(predictions: Path) -> None:
    (predictions / "CASE-002.json").write_text(json.dumps({"nodule_probability": 1.5}))


def wrong_key(predictions: Path) -> None:
    (predictions / "CASE-001.json").write_text(json.dumps({"probability": 0.5}))


BAD_PREDICTIONS = {
    "missing prediction": (drop_one, "ERROR: predictions: 1 labelled cases have no prediction and 0"),
    "two layouts": (both_layouts, "ERROR: predictions: holds both predictions.yaml and per-case .json files"),
    "out of range": (out_of_range, "ERROR: predictions/CASE-002.json: probability 1.5 is not a number in [0, 1]"),
    "wrong key": (wrong_key, "ERROR: predictions/CASE-001.json: has no 'nodule_probability'"),
}


@pytest.mark.parametrize("name", list(BAD_PREDICTIONS))
def test_bad_predictions_fail_with_one_line(name: str, tmp_path: Path) -> None:
    corrupt, message = BAD_PREDICTIONS[name]
    predictions, labels = write_inputs(tmp_path, np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.3, 0.7]), "json")
    corrupt(predictions)
    code, _, stderr = evaluate(tmp_path, predictions, labels)
    assert code == 1
    assert len(stderr.splitlines()) == 1 and stderr.startswith(message), stderr
