"""`medperf demo --example examples/diabetes`: a regression benchmark end to end, checked against scikit-learn."""

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .demo_run import DemoRun, run_demo

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(2400)]
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "diabetes"
DEMO_TIMEOUT_S = 2000
EXACT = 1e-9
METRICS = ("mae", "rmse", "r2")
SITE_CASE_ID = re.compile(rb"\b[ABC]-\d{4}\b")


def _expected_module() -> ModuleType:
    sys.path.insert(0, str(EXAMPLE))
    spec = importlib.util.spec_from_file_location("e2e_diabetes_expected", EXAMPLE / "expected.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXPECTED = _expected_module()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The whole federated evaluation of the regression benchmark (sandbox runner, the demo's default)."""
    return run_demo(tmp_path_factory.mktemp("regression") / "home", "--example", str(EXAMPLE),
                    timeout_s=DEMO_TIMEOUT_S)


def _records(run: DemoRun) -> list[dict[str, Any]]:
    exported = json.loads((run.home / "report" / "leaderboard.json").read_text())
    assert exported == run.result["leaderboard"]
    records: list[dict[str, Any]] = exported["records"]
    return records


def _model_key(record: dict[str, Any]) -> str:
    return str(record["model"]).rsplit("-", 1)[-1]


def test_the_leaderboard_equals_scikit_learn_on_the_same_splits(run: DemoRun) -> None:
    expected = EXPECTED.expected_metrics()
    records = {(_model_key(r), r["site"]): r for r in _records(run) if r["site"] in EXPECTED.SITES}
    assert set(records) == set(expected), "every model needs a result at every site"
    for key, want in expected.items():
        got = records[key]
        assert got["num_cases"] == want["num_cases"] == 100
        for metric in METRICS:
            assert got[metric] == pytest.approx(want[metric], abs=EXACT), (key, metric)
            assert got[f"{metric}_ci_low"] <= got[metric] <= got[f"{metric}_ci_high"], (key, metric)
        assert "auc" not in got


def test_lowest_mean_mae_ranks_first_and_the_worst_site_has_the_highest_mae(run: DemoRun) -> None:
    expected = EXPECTED.expected_metrics()
    board = run.result["leaderboard"]
    assert board["primary_metric"] == "mae" and board["task"]["kind"] == "regression"
    means = {m: sum(expected[(m, s)]["mae"] for s in EXPECTED.SITES) / 3 for m in EXPECTED.MODELS}
    summary = {_model_key(r): r for r in _records(run) if r["site"] == "MEAN"}
    for model, mean in means.items():
        assert summary[model]["mae"] == pytest.approx(mean, abs=EXACT)
    best = min(means, key=lambda m: means[m])
    assert next(r for r in _records(run) if r["rank"] == 1)["model"].endswith(f"-{best}")
    for model in EXPECTED.MODELS:
        worst = next(r for r in _records(run) if _model_key(r) == model and r["site"].startswith("WORST:"))
        highest = max(EXPECTED.SITES, key=lambda s: expected[(model, s)]["mae"])
        assert worst["site"] == f"WORST:{highest}"
        assert worst["mae"] == pytest.approx(expected[(model, highest)]["mae"], abs=EXACT)


def test_each_models_worst_subgroup_is_the_highest_subgroup_mae_of_scikit_learn(run: DemoRun) -> None:
    """task.subgroups [sex, age_band]: the evaluator ran per subgroup on each site; worst = highest MAE."""
    expected = EXPECTED.expected_subgroup_mae()
    assert all(len(groups) == 5 for groups in expected.values()), "every subgroup has at least k cases here"
    for model in EXPECTED.MODELS:
        value, site, name = max((v, s, g) for (m, s), groups in expected.items() if m == model
                                for g, v in groups.items())
        record = next(r for r in _records(run) if _model_key(r) == model and r["site"].startswith("WORST-SUBGROUP:"))
        assert record["site"] == f"WORST-SUBGROUP:{site}:{name}"
        assert record["mae"] == pytest.approx(value, abs=EXACT)
    page = (run.home / "report" / "report.html").read_text()
    assert "worst subgroup" in page


def test_the_report_shows_every_declared_metric_without_na(run: DemoRun) -> None:
    report = run.home / "report"
    page = (report / "report.html").read_text()
    for metric in METRICS:
        assert f'id="metric-{metric}"' in page
    assert "n/a" not in page and "auc" not in page
    assert (report / "leaderboard.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {p.name for p in report.glob("*.png")} >= {"leaderboard.png", "rmse.png", "r2.png"}


def test_every_upload_was_approved_and_no_site_case_id_left_the_sites(run: DemoRun) -> None:
    assert run.result["approvals"] == {"approve": 3 + 3}  # statistics, then one campaign approval per site
    central = [run.home / "registry", run.home / "store", run.home / "prefect", run.home / "report"]
    files = [p for folder in central if folder.exists() for p in folder.rglob("*")
             if p.is_file() and not p.name.endswith(".log")]
    leaks = {str(p): SITE_CASE_ID.findall(p.read_bytes())[:3] for p in files}
    assert {p: ids for p, ids in leaks.items() if ids} == {}

