"""The model x site status matrix: registry results first, then the live Prefect run, then CSV."""

from pathlib import Path

import pytest
from campaign_snapshots import dataset, model, result, snapshot

from medperf.campaign.cells import CellStatus, RunState, status_of_run
from medperf.campaign.matrix import build_matrix
from medperf.campaign.run_tags import parse_run_tags, run_tags
from medperf.errors import ConfigError


@pytest.mark.parametrize(
    ("state_type", "state_name", "expected"),
    [
        ("SCHEDULED", "Scheduled", CellStatus.QUEUED),
        ("SCHEDULED", "Late", CellStatus.LATE),
        ("PENDING", "Pending", CellStatus.QUEUED),
        ("RUNNING", "Running", CellStatus.RUNNING),
        ("PAUSED", "Suspended", CellStatus.AWAITING_APPROVAL),
        ("PAUSED", "Paused", CellStatus.AWAITING_APPROVAL),
        ("FAILED", "Failed", CellStatus.FAILED),
        ("CRASHED", "Crashed", CellStatus.FAILED),
        ("FAILED", "Unapproved", CellStatus.FAILED),  # wrong codes only: nobody decided
        ("CANCELLED", "Rejected", CellStatus.REJECTED),  # the data owner said no: a decision, not a failure
        ("CANCELLED", "Cancelled", CellStatus.FAILED),
        ("COMPLETED", "Completed", CellStatus.DONE),
    ],
)
def test_prefect_states_map_to_cells(state_type: str, state_name: str, expected: CellStatus) -> None:
    assert status_of_run(RunState("r", state_type, state_name)) is expected


def test_matrix_combines_results_and_runs_per_model_and_site() -> None:
    snap = snapshot(
        [model(1), model(2)],
        [dataset(11, "site-a"), dataset(12, "site-b"), dataset(13, "site-b")],
        [result(1, 11), result(1, 12), result(1, 13), result(2, 12, finalized=None)],
    )
    runs = {
        (2, 11): RunState("r1", "PAUSED", "Suspended"),
        (2, 12): RunState("r2", "SCHEDULED", "Late"),
        (1, 11): RunState("r3", "FAILED", "Failed"),  # an old failure does not hide a current result
    }
    matrix = build_matrix(snap, runs)
    assert matrix.sites == ["site-a", "site-b"]
    assert matrix.cell(1, "site-a") is CellStatus.DONE
    assert matrix.cell(1, "site-b") is CellStatus.DONE
    assert matrix.cell(2, "site-a") is CellStatus.AWAITING_APPROVAL
    assert matrix.pairs[(2, 13)] is CellStatus.MISSING
    assert matrix.cell(2, "site-b") is CellStatus.LATE  # the least advanced of its two datasets
    assert matrix.counts()[CellStatus.DONE] == 3


def test_status_tells_done_awaiting_rejected_failed_and_late_apart() -> None:
    """What `benchmark status` shows for one model at five sites, one pair each."""
    sites = ["a", "b", "c", "d", "e"]
    snap = snapshot([model(1)], [dataset(10 + i, site) for i, site in enumerate(sites)], [result(1, 10)])
    runs = {
        (1, 11): RunState("r1", "PAUSED", "Suspended"),
        (1, 12): RunState("r2", "CANCELLED", "Rejected"),
        (1, 13): RunState("r3", "FAILED", "Failed"),
        (1, 14): RunState("r4", "SCHEDULED", "Late"),
    }
    matrix = build_matrix(snap, runs)
    shown = [matrix.cell(1, site).value for site in sites]
    assert shown == ["done", "awaiting approval", "rejected", "failed", "late"]
    assert "1,m1,done,awaiting approval,rejected,failed,late" in matrix.to_csv()


def test_outdated_and_pending_without_runs() -> None:
    snap = snapshot([model(2, container_id=999)], [dataset(11, "a"), dataset(12, "b")],
                    [result(2, 11), result(2, 12, finalized=None)])
    matrix = build_matrix(snap, {})
    assert matrix.pairs[(2, 11)] is CellStatus.OUTDATED
    assert matrix.pairs[(2, 12)] is CellStatus.PENDING


def test_csv_export(tmp_path: Path) -> None:
    snap = snapshot([model(1), model(2)], [dataset(11, "site-a"), dataset(12, "site-b")], [result(1, 11)])
    matrix = build_matrix(snap, {(2, 12): RunState("r", "RUNNING", "Running")})
    target = tmp_path / "status.csv"
    matrix.write_csv(target)
    assert target.read_text().splitlines() == [
        "model_id,model,site-a,site-b",
        "1,m1,done,missing",
        "2,m2,missing,running",
    ]
    with pytest.raises(ConfigError, match="does not exist"):
        matrix.write_csv(tmp_path / "nowhere" / "status.csv")


def test_run_tags_round_trip_and_carry_only_ids() -> None:
    tags = run_tags(7, 2, 11, "medperf-continuous")
    assert parse_run_tags(tags) == {"benchmark": 7, "model": 2, "dataset": 11}
    assert all(":" not in t or t.split(":")[1].isdigit() for t in tags)
