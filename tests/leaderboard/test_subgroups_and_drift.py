"""The leaderboard shows each model's worst subgroup and flags results computed on drifted site data."""

import json
from pathlib import Path

from test_declared_task import MODELS, REGRESSION, _reg
from test_leaderboard import _dataset

from medperf.leaderboard import build_leaderboard
from medperf.leaderboard.render import to_json, to_rich_table
from medperf.leaderboard.report import write_report
from medperf.schemas import ResultPublic

WITH_SUBGROUPS = REGRESSION.model_copy(update={"subgroups": ["sex"]})


def _with_subgroups(result: ResultPublic, female: float | None, male: float | None) -> ResultPublic:
    groups = {"sex=F": None if female is None else {"mae": female, "n": 20},
              "sex=M": None if male is None else {"mae": male, "n": 21}}
    return result.model_copy(update={"metrics": {**(result.metrics or {}), "subgroups": groups}})


def _datasets(drifted_site_b: bool) -> dict[int, object]:
    site_b = _dataset(11, "site-b")
    if drifted_site_b:
        site_b = site_b.model_copy(update={"statistics": {"drift": {"drifted": True, "num_drifted": 2}}})
    return {10: _dataset(10, "site-a"), 11: site_b}


def test_the_worst_subgroup_follows_the_metric_direction_and_skips_suppressed_cells() -> None:
    results = [_with_subgroups(_reg(1, 1, 10, 44.0), 40.0, 51.0),   # ridge: worst (highest MAE) M at site-a
               _with_subgroups(_reg(2, 1, 11, 47.0), None, 49.0),   # F suppressed at site-b (below k)
               _reg(3, 2, 10, 62.0), _reg(4, 2, 11, 66.0)]            # baseline: no subgroups released
    board = build_leaderboard(1, results, MODELS, _datasets(False), task=WITH_SUBGROUPS)  # type: ignore[arg-type]
    ridge, baseline = board.rows
    assert ridge.worst_subgroup(board.spec()) == ("site-a", "sex=M", 51.0)
    assert baseline.worst_subgroup(board.spec()) is None
    higher = WITH_SUBGROUPS.metrics[2]  # r2, higher is better: the lowest is worst
    assert ridge.worst_subgroup(higher) is None  # r2 was not released per subgroup
    table = to_rich_table(board)
    assert "worst subgroup" in [column.header for column in table.columns]
    records = json.loads(to_json(board))["records"]
    assert any(r["site"] == "WORST-SUBGROUP:site-a:sex=M" and r["mae"] == 51.0 for r in records)


def test_results_on_a_drifted_site_are_flagged_in_table_export_and_report(tmp_path: Path) -> None:
    results = [_reg(1, 1, 10, 44.0), _reg(2, 1, 11, 47.0)]
    board = build_leaderboard(1, results, MODELS, _datasets(True), task=REGRESSION)  # type: ignore[arg-type]
    (row,) = board.rows
    assert (row.sites["site-a"].drifted, row.sites["site-b"].drifted) == (False, True)
    records = {r["site"]: r for r in json.loads(to_json(board))["records"] if "drifted" in r}
    assert (records["site-a"]["drifted"], records["site-b"]["drifted"]) == (False, True)
    html = write_report(board, tmp_path).read_text()
    assert html.count("(drifted data)") >= 1 and "worst subgroup" not in html

    plain = build_leaderboard(1, results, MODELS, _datasets(False), task=REGRESSION)  # type: ignore[arg-type]
    assert "(drifted data)" not in write_report(plain, tmp_path / "plain").read_text()
