"""`medperf demo --yes --no-keep`: the whole federated evaluation, checked against scikit-learn and for leaks."""

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest

from .demo_run import DemoRun, run_demo
from .expected_metrics import MODELS, SITES, expected_metrics, site_cases

pytestmark = pytest.mark.e2e
DEMO_TIMEOUT_S = 1200
EXACT = 1e-9
CASE_ID = re.compile(rb"\b[ABC]-\d{4}\b")  # site case ids (the public demo data uses D-...)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """Run the README's command (sandbox runner, no questions, stack stopped at the end) in a temp home."""
    return run_demo(tmp_path_factory.mktemp("demo") / "home", timeout_s=DEMO_TIMEOUT_S)


def leaderboard_records(demo: DemoRun) -> dict[tuple[str, str], dict[str, Any]]:
    """(model key, site) -> record of the JSON export written by the demo (= `result leaderboard --json`)."""
    exported = json.loads((demo.home / "report" / "leaderboard.json").read_text())
    assert exported == demo.result["leaderboard"]
    records = {}
    for record in exported["records"]:
        if record["site"] in SITES:
            records[(record["model"].rsplit("-", 1)[-1], record["site"])] = record
    return records


def test_leaderboard_matches_scikit_learn(demo: DemoRun) -> None:
    records = leaderboard_records(demo)
    expected = expected_metrics()
    assert set(records) == set(expected), "every model must have a finalized result at every site"
    worst = 0.0
    for key, want in expected.items():
        got = records[key]
        assert got["num_cases"] == want["num_cases"] == 114
        for metric in ("auc", "accuracy", "sensitivity", "specificity"):
            assert got[metric] == pytest.approx(want[metric], abs=EXACT), f"{key} {metric}"
            worst = max(worst, abs(got[metric] - want[metric]))
            low, high = got[f"{metric}_ci_low"], got[f"{metric}_ci_high"]
            assert low <= got[metric] + EXACT and got[metric] <= high + EXACT, f"{key} {metric} outside its CI"
    print(f"largest difference to scikit-learn: {worst:.3g}")


def test_mean_and_worst_site_are_over_the_three_sites(demo: DemoRun) -> None:
    exported = demo.result["leaderboard"]
    expected = expected_metrics()
    for model in MODELS:
        rows = [r for r in exported["records"] if r["model"].endswith(f"-{model}")]
        mean = next(r for r in rows if r["site"] == "MEAN")
        worst = next(r for r in rows if r["site"].startswith("WORST:"))
        aucs = {site: expected[(model, site)]["auc"] for site in SITES}
        assert mean["auc"] == pytest.approx(sum(aucs.values()) / 3, abs=EXACT)
        assert worst["auc"] == pytest.approx(min(aucs.values()), abs=EXACT)
        assert worst["site"] == "WORST:" + min(aucs, key=lambda s: (aucs[s], s))


def test_every_upload_was_shown_and_approved_once_per_site_and_campaign(demo: DemoRun) -> None:
    """Three statistics approvals, then one approval per site for the campaign: a table of its 3 results."""
    assert demo.result["approvals"] == {"approve": 3 + 3}
    assert demo.output.count("approved with code") == 6
    assert demo.output.count("Register dataset") == 3
    rows = re.findall(r"row [123]: model \d+ on dataset \d+: .*\bauc [01]\.\d+", demo.output)
    assert len(set(rows)) == 3 * 3, rows  # 3 models at each of 3 sites, each pair once
    # a form is shown again only when Prefect did not take the answer (a busy server): then it is answered again
    assert len(rows) == 3 * 3 or "Prefect did not take the answer" in demo.output, rows


def test_report_has_its_plot(demo: DemoRun) -> None:
    report = demo.home / "report"
    html = (report / "report.html").read_text()
    assert "data:image/png;base64," in html or "leaderboard.png" in html
    assert (report / "leaderboard.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for model in MODELS:
        assert model in html


def _bytes_of(path: Path) -> bytes:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":  # archives in the store: look inside too
        data += gzip.decompress(data)
    return data


def test_no_case_id_reached_the_registry_the_store_or_prefect(demo: DemoRun) -> None:
    central = [demo.home / "registry", demo.home / "store", demo.home / "prefect"]
    files = [p for folder in central for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".log")]
    assert any(p.name == "registry.db" for p in files) and any(p.parent.name == "sha256" for p in files)
    site_ids = {case_id.encode() for ids, _x, _y in site_cases().values() for case_id in ids}
    leaks = {str(p): sorted({m.decode() for m in CASE_ID.findall(_bytes_of(p)) if m in site_ids})[:3]
             for p in files}
    assert {p: ids for p, ids in leaks.items() if ids} == {}
    # the sites did see their case ids (the check above is not vacuous)
    prepared = list((demo.home / "sites").rglob("cases.csv"))
    assert prepared and any(CASE_ID.search(p.read_bytes()) for p in prepared)
