"""Runs that lost the Prefect server get the site's line as their state once it answers: which, and how often."""

from pathlib import Path

import httpx
import pytest

from medperf.site.liveness import record_process
from medperf.site.lost_runs import REPORTED, report_lost_runs
from medperf.site.run_store import RunStore

LINE = "the run lost the server at http://127.0.0.1:4200 (ConnectError) and stopped; the campaign dispatches it again"


def _store(tmp_path: Path) -> RunStore:
    store = RunStore(tmp_path)
    store.record_failure("lost", "ConnectionLost", LINE, {})
    store.record_failure("model-crash", "infer", "step 'infer' failed with exit code 1", {})
    store.record_failure("still-running", "ConnectionLost", LINE, {})
    record_process(tmp_path, "still-running")  # this process is alive: the run has not stopped yet
    return store


def test_only_stopped_runs_that_lost_the_server_are_reported_and_only_once(tmp_path: Path) -> None:
    _store(tmp_path)
    calls: list[tuple[str, str]] = []

    def report(run_id: str, message: str) -> str:
        calls.append((run_id, message))
        return "set"

    assert report_lost_runs(tmp_path, report) == {"lost": "set"}
    assert calls == [("lost", LINE)]
    assert (tmp_path / "runs" / "lost" / REPORTED).is_file()
    assert report_lost_runs(tmp_path, report) == {}
    assert len(calls) == 1


def test_a_server_still_down_is_tried_again_at_the_next_sweep_and_other_errors_are_raised(tmp_path: Path) -> None:
    _store(tmp_path)

    def down(run_id: str, message: str) -> str:
        raise httpx.ConnectError("connection refused")

    assert report_lost_runs(tmp_path, down) == {}
    assert not (tmp_path / "runs" / "lost" / REPORTED).exists()
    assert report_lost_runs(tmp_path, lambda run_id, message: "kept") == {"lost": "kept"}

    RunStore(tmp_path).record_failure("lost-2", "ConnectionLost", LINE, {})

    def broken(run_id: str, message: str) -> str:
        raise ValueError("not a network error")

    with pytest.raises(ValueError):
        report_lost_runs(tmp_path, broken)
