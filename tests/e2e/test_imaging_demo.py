"""`medperf demo --example examples/chest_xray --runner mixed`: MedPerf-layout imaging containers end to end, on
Docker at site-a and in the sandbox at site-b and site-c (a federation where not every hospital has Docker)."""

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .demo_run import DemoRun, run_demo

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "chest_xray"
DEMO_TIMEOUT_S = 2400
SITES = ("site-a", "site-b", "site-c")
MODELS = ("radial", "template")
METRICS = ("auc", "accuracy", "sensitivity", "specificity")
CASE_ID = re.compile(rb"CXR-[ABC]-\d{4}")
TOLERANCE = 1e-6  # the containers run pinned numpy builds; the direct computation runs the site's numpy


def _harness() -> ModuleType:
    path = ROOT / "tests" / "examples" / "chest_xray_harness.py"
    spec = importlib.util.spec_from_file_location("e2e_chest_xray_harness", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module




@pytest.fixture(scope="module")
def imaging_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The whole federated evaluation of the imaging benchmark: site-a on Docker, site-b and site-c sandboxed."""
    home = tmp_path_factory.mktemp("imaging-mixed") / "home"
    return run_demo(home, "--example", str(EXAMPLE), runner="mixed", timeout_s=DEMO_TIMEOUT_S)


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    """Per site and model, results.yaml computed by running the containers' code directly."""
    campaign: dict[str, Any] = _harness().expected_campaign()
    return campaign


def _records(run: DemoRun) -> dict[tuple[str, str], dict[str, Any]]:
    exported = json.loads((run.home / "report" / "leaderboard.json").read_text())
    records = {}
    for record in exported["records"]:
        if record["site"] in SITES:
            records[(record["model"].rsplit("-", 1)[-1], record["site"])] = record
    return records


def test_leaderboard_equals_the_direct_computation(imaging_run: DemoRun, expected: dict[str, Any]) -> None:
    records = _records(imaging_run)
    assert set(records) == {(m, s) for m in MODELS for s in SITES}, "every model needs a result at every site"
    for (model, site), got in records.items():
        want = expected[site].results[model]
        assert got["num_cases"] == want["num_cases"]
        for metric in METRICS:
            assert got[metric] == pytest.approx(want[metric], abs=TOLERANCE), f"{imaging_run.runner} {model} {site}"


def test_statistics_and_results_were_approved_at_their_sites(imaging_run: DemoRun) -> None:
    assert imaging_run.result["approvals"] == {"approve": 3 + 3}  # statistics, then one campaign approval per site
    assert imaging_run.output.count("Register dataset") == 3


def test_the_manifest_suite_ran_at_each_site(imaging_run: DemoRun) -> None:
    """The GX suite targets the per-case manifest of the .npy arrays: every expectation held on every case."""
    sites = imaging_run.home / "sites"
    assert list(sites.rglob("CXR-A-0001.npy")), "the prepared arrays stay on site-a"
    reports = {p.parts[len(sites.parts)]: json.loads(p.read_text()) for p in sites.rglob("sanity_report.json")}
    assert set(reports) == set(SITES)
    for site, report in reports.items():
        assert report["table"] == "manifest", site
        assert report["cases"] == report["labels_matched"] > 0, site
        assert report["evaluated"] >= 5 and report["failures"] == [], site


def test_no_case_id_left_the_sites(imaging_run: DemoRun) -> None:
    central = [imaging_run.home / "registry", imaging_run.home / "store", imaging_run.home / "prefect"]
    files = [p for folder in central for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".log")]
    leaks = {str(p): CASE_ID.findall(p.read_bytes())[:3] for p in files}
    assert {p: ids for p, ids in leaks.items() if ids} == {}


def test_site_a_ran_on_docker_and_the_others_in_the_sandbox(imaging_run: DemoRun) -> None:
    notes = {site: re.search(rf"{site}: pool .*?; (.*)", imaging_run.output) for site in SITES}
    assert all(notes.values()), imaging_run.output[-3000:]
    runners = {site: match.group(1) for site, match in notes.items() if match}
    assert runners["site-a"].startswith("docker daemon reachable"), runners
    assert all(runners[site].startswith("sandbox runner") for site in ("site-b", "site-c")), runners
    assert re.search(r"--runner docker", imaging_run.output), "the committee registers the images for site-a"
