"""The HTML report of a regression benchmark, opened in headless chromium: every declared metric, no 'n/a'."""

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from support.modules import load_module

from medperf.bundle import load_benchmark_file
from medperf.leaderboard import build_leaderboard
from medperf.leaderboard.report import write_report
from medperf.schemas import DatasetPublic, EntityState, ModelPublic, ResultPublic, ResultStatus

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "diabetes"
DOCS = ROOT / "docs"
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def _regression_results() -> tuple[list[ResultPublic], dict[int, ModelPublic], dict[int, DatasetPublic]]:
    """The example's evaluator code on scikit-learn's predictions of each site (what the sites would upload)."""
    sys.path.insert(0, str(EXAMPLE))
    expected = load_module("diabetes_expected", EXAMPLE / "expected.py")
    evaluator = load_module("diabetes_evaluate", EXAMPLE / "containers" / "evaluator" / "evaluate.py")
    models = {i: ModelPublic(id=i, name=f"diabetes-progression-{m}", owner_id=1, container_id=i, version="1",
                             state=EntityState.OPERATION, created_at=T0, updated_at=T0)
              for i, m in enumerate(expected.MODELS, start=1)}
    datasets = {10 + i: DatasetPublic(id=10 + i, name=s, owner_id=2, site=s, benchmark_id=1,
                                      data_preparation_container_id=1, raw_data_hash="0" * 64,
                                      prepared_data_hash=f"{i}" * 64, statistics={}, state=EntityState.OPERATION,
                                      created_at=T0, updated_at=T0)
                for i, s in enumerate(expected.SITES)}
    model_ids = {m.name.rsplit("-", 1)[1]: mid for mid, m in models.items()}
    dataset_ids = {d.site: did for did, d in datasets.items()}
    results = []
    for rid, ((model, site), (y, p)) in enumerate(expected.site_predictions().items(), start=1):
        metrics = evaluator.compute_results(y, p, {"bootstrap_resamples": 300})
        results.append(ResultPublic(id=rid, benchmark_id=1, model_id=model_ids[model], dataset_id=dataset_ids[site],
                                    owner_id=2, status=ResultStatus.FINALIZED, metrics=metrics, partial=False,
                                    model_container_id=None, evaluator_container_id=None, created_at=T0,
                                    finalized_at=T0))
    return results, models, datasets


def test_the_regression_report_shows_every_declared_metric_in_chromium(browser: Any, tmp_path: Path) -> None:
    task = load_benchmark_file(EXAMPLE).task
    assert task is not None
    results, models, datasets = _regression_results()
    board = build_leaderboard(1, results, models, datasets, task=task)
    report = write_report(board, tmp_path, title="Diabetes progression (regression) — federated evaluation")

    context = browser.new_context(viewport={"width": 1300, "height": 900})
    try:
        page = context.new_page()
        page.goto(report.as_uri())
        headings = page.locator("h2").all_inner_texts()
        assert headings == ["mae (lower is better, 95 % CI)", "rmse (lower is better, 95 % CI)",
                            "r2 (higher is better, 95 % CI)"]
        for metric in ("mae", "rmse", "r2"):
            section = page.locator(f"#metric-{metric}")
            assert section.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
            cells = section.locator("td").all_inner_texts()
            assert cells and "n/a" not in cells, metric
            assert sum("[" in cell for cell in cells) == 6, metric  # 2 models x 3 sites, each with its CI
        assert "n/a" not in page.locator("body").inner_text() and "auc" not in page.content()
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / "report-regression.png"), full_page=True)
    finally:
        context.close()
    assert (DOCS / "report-regression.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
