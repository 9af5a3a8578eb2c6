"""The leaderboard follows the benchmark's declared task: primary metric, direction, CIs, count key, every metric."""

import csv
import io
import json
from pathlib import Path

import pytest
from test_leaderboard import DATASETS, T0, _dataset, _model

from medperf.errors import ConfigError
from medperf.leaderboard import Leaderboard, build_leaderboard
from medperf.leaderboard.render import to_csv, to_json, to_rich_table
from medperf.leaderboard.report import write_report
from medperf.schemas import ResultPublic, ResultStatus
from medperf.schemas.task import TaskDeclaration

REGRESSION = TaskDeclaration.model_validate({
    "kind": "regression",
    "primary_metric": "mae",
    "count_key": "n",
    "label_kind": "continuous",
    "metrics": [
        {"name": "mae", "direction": "lower", "range": [0, None], "ci": ["mae_ci_low", "mae_ci_high"]},
        {"name": "rmse", "direction": "lower", "range": [0, None]},
        {"name": "r2", "direction": "higher", "range": [None, 1]},
    ],
})
MODELS = {1: _model(1, "ridge"), 2: _model(2, "mean-baseline"), 3: _model(3, "knn")}


def _reg(rid: int, model: int, dataset: int, mae: float, width: float = 1.0) -> ResultPublic:
    metrics = {"mae": mae, "mae_ci_low": mae - width, "mae_ci_high": mae + width,
               "rmse": mae * 1.25, "r2": 1 - mae / 100, "n": 40 + dataset}
    return ResultPublic(id=rid, benchmark_id=1, model_id=model, dataset_id=dataset, owner_id=dataset,
                        status=ResultStatus.FINALIZED, metrics=metrics, partial=False, model_container_id=None,
                        evaluator_container_id=None, created_at=T0, finalized_at=T0)


def _board(width: float = 1.0) -> Leaderboard:
    results = [_reg(1, 1, 10, 44.0, width), _reg(2, 1, 11, 47.0, width),   # ridge: lowest error
               _reg(3, 2, 10, 62.0, width), _reg(4, 2, 11, 66.0, width),   # mean baseline: highest
               _reg(5, 3, 10, 50.0, width), _reg(6, 3, 11, 49.0, width)]
    return build_leaderboard(1, results, MODELS, DATASETS, task=REGRESSION)


def test_a_regression_board_ranks_by_the_declared_primary_metric_lowest_error_first() -> None:
    board = _board()
    assert board.primary_metric == "mae"
    assert [row.model_name for row in board.rows] == ["ridge", "knn", "mean-baseline"]
    assert [row.band_text() for row in board.rows] == ["1", "2", "3"]


def test_the_worst_site_of_an_error_metric_is_the_highest_value() -> None:
    ridge = _board().rows[0]
    assert ridge.worst("mae", REGRESSION.metrics[0].direction) == ("site-b", 47.0)
    assert ridge.worst("r2", REGRESSION.metrics[2].direction) == ("site-b", 1 - 47.0 / 100)
    records = json.loads(to_json(_board()))["records"]
    worst = next(r for r in records if r["model"] == "ridge" and r["site"].startswith("WORST:"))
    assert worst == {**worst, "site": "WORST:site-b", "mae": 47.0}


def test_every_declared_metric_and_only_declared_cis_reach_csv_json_and_html(tmp_path: Path) -> None:
    board = _board()
    rows = list(csv.DictReader(io.StringIO(to_csv(board))))
    assert set(rows[0]) >= {"mae", "mae_ci_low", "mae_ci_high", "rmse", "r2", "num_cases"}
    assert "auc" not in rows[0] and "rmse_ci_low" not in rows[0]
    ridge_a = next(r for r in rows if r["model"] == "ridge" and r["site"] == "site-a")
    assert float(ridge_a["rmse"]) == 55.0 and float(ridge_a["num_cases"]) == 50  # from the declared count key "n"
    payload = json.loads(to_json(board))
    assert payload["primary_metric"] == "mae" and payload["task"]["kind"] == "regression"
    page = write_report(board, tmp_path).read_text()
    for metric in ("mae", "rmse", "r2"):
        assert f'id="metric-{metric}"' in page
        assert (tmp_path / ("leaderboard.png" if metric == "mae" else f"{metric}.png")).read_bytes()[:4] == b"\x89PNG"
    assert "n/a" not in page and "auc" not in page
    assert "mae (lower is better, 95 % CI)" in page
    assert "rmse (lower is better)</h2>" in page and "r2 (higher is better)</h2>" in page
    assert to_rich_table(board, "rmse").title == "Leaderboard of benchmark 1 — rmse (lower is better)"


def test_models_whose_intervals_overlap_on_every_site_share_a_rank_band(tmp_path: Path) -> None:
    board = _board(width=4.0)  # ridge [40-48] [43-51] vs knn [46-54] [45-53]: overlap at both sites
    bands = {row.model_name: row.band_text() for row in board.rows}
    assert bands == {"ridge": "1–2", "knn": "1–2", "mean-baseline": "3"}
    assert board.rows[0].not_separated_from == ["knn"]
    assert "not separated from knn" in write_report(board, tmp_path).read_text()
    assert next(r for r in board.as_records() if r["model"] == "knn")["rank_band"] == "1–2"


def test_a_metric_that_is_not_declared_is_refused_in_one_line() -> None:
    with pytest.raises(ConfigError, match="--metric: 'auc' is not a declared metric.*'mae', 'rmse', 'r2'"):
        build_leaderboard(1, [], MODELS, DATASETS, "auc", task=REGRESSION)


def test_a_benchmark_without_declaration_keeps_the_binary_defaults() -> None:
    result = _reg(1, 1, 10, 1.0)
    result.metrics = {"auc": 0.7, "auc_ci_low": 0.6, "auc_ci_high": 0.8, "num_cases": 30}
    other = _reg(2, 2, 10, 1.0)
    other.metrics = {"auc": 0.9, "auc_ci_low": 0.85, "auc_ci_high": 0.95, "num_cases": 30}
    board = build_leaderboard(1, [result, other], MODELS, {10: _dataset(10, "site-a")})
    assert board.primary_metric == "auc" and [r.model_name for r in board.rows] == ["mean-baseline", "ridge"]
    assert board.rows[1].worst("auc") == ("site-a", 0.7)
    assert "auc (higher is better, 95 % CI)" in str(to_rich_table(board).title)


def test_each_metric_table_is_ranked_by_that_metric_in_its_own_direction() -> None:
    board = _board()
    for result_row in board.rows:  # give the mean baseline the best r2 although its mae is the worst
        for score in result_row.sites.values():
            score.metrics["r2"] = 0.9 if result_row.model_name == "mean-baseline" else 0.1  # type: ignore[index]
    assert [row.model_name for row in board.ranked_by("r2").rows][0] == "mean-baseline"
    assert [row.model_name for row in board.rows][0] == "ridge"  # the board itself keeps the primary ranking
    assert board.ranked_by("rmse").rows[0].model_name == "ridge"
