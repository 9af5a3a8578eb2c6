"""The leaderboard keeps the latest finalized result per (model, site), averages sites and names the worst."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from medperf.leaderboard import build_leaderboard
from medperf.leaderboard.render import to_csv, to_json, to_rich_table
from medperf.leaderboard.report import write_report
from medperf.schemas import DatasetPublic, EntityState, ModelPublic, ResultPublic, ResultStatus

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _model(mid: int, name: str) -> ModelPublic:
    return ModelPublic(id=mid, name=name, owner_id=9, container_id=mid, version="1",
                       state=EntityState.OPERATION, created_at=T0, updated_at=T0)


def _dataset(did: int, site: str) -> DatasetPublic:
    return DatasetPublic(id=did, name=f"d{did}", owner_id=did, site=site, benchmark_id=1,
                         data_preparation_container_id=1, raw_data_hash="0" * 64, prepared_data_hash=f"{did}" * 64,
                         statistics={}, state=EntityState.OPERATION, created_at=T0, updated_at=T0)


def _result(rid: int, model: int, dataset: int, auc: float | None, *, minutes: int = 0,
            status: ResultStatus = ResultStatus.FINALIZED, benchmark: int = 1) -> ResultPublic:
    metrics = None if auc is None else {"auc": auc, "auc_ci_low": auc - 0.05, "auc_ci_high": min(1.0, auc + 0.05),
                                        "accuracy": 0.9, "num_cases": 100}
    return ResultPublic(id=rid, benchmark_id=benchmark, model_id=model, dataset_id=dataset, owner_id=dataset,
                        status=status, metrics=metrics, partial=False, model_container_id=None,
                        evaluator_container_id=None, created_at=T0,
                        finalized_at=T0 + timedelta(minutes=minutes) if status == ResultStatus.FINALIZED else None)


MODELS = {1: _model(1, "logreg"), 2: _model(2, "gnb")}
DATASETS = {10: _dataset(10, "site-a"), 11: _dataset(11, "site-b")}


def test_latest_finalized_result_wins_and_pending_or_other_benchmarks_are_ignored() -> None:
    results = [
        _result(1, 1, 10, 0.80, minutes=1),
        _result(2, 1, 10, 0.90, minutes=5),  # newer: wins
        _result(3, 1, 11, 0.70, minutes=2),
        _result(4, 1, 11, None, status=ResultStatus.PENDING),
        _result(5, 2, 10, 0.99, minutes=1, benchmark=2),
        _result(6, 2, 10, 0.60, minutes=1),
    ]
    board = build_leaderboard(1, results, MODELS, DATASETS)
    assert [row.model_name for row in board.rows] == ["logreg", "gnb"]
    logreg = board.rows[0]
    assert logreg.sites["site-a"].value("auc") == 0.90
    assert logreg.mean("auc") == (0.90 + 0.70) / 2
    assert logreg.worst("auc") == ("site-b", 0.70)
    assert set(board.rows[1].sites) == {"site-a"}


def test_exports_carry_the_same_numbers() -> None:
    board = build_leaderboard(1, [_result(1, 1, 10, 0.9), _result(2, 1, 11, 0.8)], MODELS, DATASETS)
    rows = list(csv.DictReader(io.StringIO(to_csv(board))))
    by_site = {r["site"]: r for r in rows}
    assert float(by_site["site-a"]["auc"]) == 0.9
    assert abs(float(by_site["MEAN"]["auc"]) - 0.85) < 1e-12
    payload = json.loads(to_json(board))
    assert payload["sites"] == ["site-a", "site-b"]
    assert to_rich_table(board).row_count == 1


def test_undefined_metric_is_not_averaged(tmp_path: Path) -> None:
    missing = _result(2, 1, 11, 0.8)
    missing.metrics = {"auc": None, "num_cases": 3}
    board = build_leaderboard(1, [_result(1, 1, 10, 0.9), missing], MODELS, DATASETS)
    assert board.rows[0].mean("auc") == 0.9
    report = write_report(board, tmp_path)
    text = report.read_text()
    assert "n/a" in text and "data:image/png;base64," in text
    assert (tmp_path / "leaderboard.png").read_bytes()[:4] == b"\x89PNG"
