"""Both models, run directly: their own prediction layouts, reproducible weights, and useful accuracy."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from chest_xray_harness import (
    CONTAINERS,
    EXAMPLE,
    SITES,
    PreparedSite,
    expected_campaign,
    infer_direct,
    prepared_example,
    run_direct,
    volumes_of,
)
from sklearn.metrics import roc_auc_score

WEIGHTS = {"model-template": "detector.json", "model-radial": "radial_logreg.json"}


@pytest.fixture(scope="module")
def sites() -> dict[str, PreparedSite]:
    return prepared_example()


def labels_of(site: PreparedSite) -> dict[str, int]:
    labels: dict[str, int] = yaml.safe_load((site.labels / "labels.yaml").read_text())
    return labels


@pytest.mark.parametrize("container", list(WEIGHTS))
def test_infer_sees_the_prepared_data_but_no_labels(container: str) -> None:
    assert set(volumes_of(container, "infer")) == {"data_path", "parameters_file", "additional_files", "output_path"}


@pytest.mark.parametrize("site", SITES)
def test_template_model_writes_one_json_per_case(site: str, sites: dict[str, PreparedSite], tmp_path: Path) -> None:
    prepared = sites[site]
    out = infer_direct("template", prepared.data, tmp_path / "predictions")
    assert sorted(p.stem for p in out.iterdir()) == sorted(labels_of(prepared))
    mask = np.load(CONTAINERS / "model-template" / "workspace" / "additional_files" / "lung_mask.npy").astype(bool)
    for path in out.iterdir():
        record = json.loads(path.read_text())
        assert record["case_id"] == path.stem
        assert 0.0 < record["nodule_probability"] < 1.0
        assert mask[record["detection"]["row"], record["detection"]["col"]]  # found inside the lungs


@pytest.mark.parametrize("site", SITES)
def test_radial_model_writes_one_predictions_yaml(site: str, sites: dict[str, PreparedSite], tmp_path: Path) -> None:
    prepared = sites[site]
    out = infer_direct("radial", prepared.data, tmp_path / "predictions")
    assert [p.name for p in out.iterdir()] == ["predictions.yaml"]
    predictions = yaml.safe_load((out / "predictions.yaml").read_text())
    assert sorted(predictions) == sorted(labels_of(prepared))
    assert all(0.0 < value < 1.0 for value in predictions.values())


def test_wrong_image_size_fails_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    np.save(tmp_path / "data" / "X-1.npy", np.zeros((96, 96), dtype=np.float32))
    for container in WEIGHTS:
        done = run_direct(container, "infer", {"data_path": tmp_path / "data", "output_path": tmp_path / container})
        assert done.returncode == 1
        assert done.stderr.strip().startswith("ERROR: data_path/X-1.npy: shape (96, 96), the ")
        assert len(done.stderr.strip().splitlines()) == 1


def test_train_py_reproduces_the_committed_weights(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE / "train.py"), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for container, weights in WEIGHTS.items():
        fresh = tmp_path / container / "workspace" / "additional_files"
        committed = CONTAINERS / container / "workspace" / "additional_files"
        assert np.array_equal(np.load(fresh / "lung_mask.npy"), np.load(committed / "lung_mask.npy"))
        new, old = json.loads((fresh / weights).read_text()), json.loads((committed / weights).read_text())
        assert new.keys() == old.keys()
        for key, value in new.items():
            assert np.allclose(value, old[key], rtol=1e-6, atol=1e-9) if key != "feature_names" else value == old[key]


# AUCs documented in README.md ("Models"); a change of data, preparation or weights shows up here.
DOCUMENTED_AUC = {
    ("site-a", "radial"): 0.931, ("site-a", "template"): 0.871,
    ("site-b", "radial"): 0.892, ("site-b", "template"): 0.920,
    ("site-c", "radial"): 0.759, ("site-c", "template"): 0.785,
}  # fmt: skip


@pytest.mark.parametrize(("site", "model"), list(DOCUMENTED_AUC))
def test_models_reach_the_documented_auc(site: str, model: str) -> None:
    expected = expected_campaign()[site]
    labels = labels_of(expected.site)
    folder = expected.predictions[model]
    if model == "radial":
        scores = yaml.safe_load((folder / "predictions.yaml").read_text())
    else:
        scores = {p.stem: json.loads(p.read_text())["nodule_probability"] for p in folder.iterdir()}
    cases = sorted(labels)
    auc = roc_auc_score([labels[c] for c in cases], [scores[c] for c in cases])
    assert round(auc, 3) == DOCUMENTED_AUC[(site, model)]
