"""The site's record of which process runs which flow run, and the sweep that crashes runs whose process died."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from prefect.exceptions import Pause

from medperf.site.liveness import PROCESS_FILE, record_process, recorded_processes, running, sweep_dead_runs
from medperf.site.run_store import FAILURE, RunStore


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


class FakePrefect:
    """Records which runs the sweep asked to crash; answers that each was RUNNING."""

    def __init__(self) -> None:
        self.crashed: list[tuple[str, str]] = []

    def __call__(self, flow_run_id: str, message: str) -> tuple[str, bool]:
        self.crashed.append((flow_run_id, message))
        return "RUNNING", True


def test_a_running_flow_run_leaves_its_pid_and_clears_it_when_it_ends(tmp_path: Path) -> None:
    record = RunStore(tmp_path).run_dir("run-1") / PROCESS_FILE
    with running(tmp_path, "run-1"):
        assert json.loads(record.read_text())["pid"] == os.getpid()
        assert [p.flow_run_id for p in recorded_processes(tmp_path)] == ["run-1"]
    assert not record.exists()


def test_a_run_ended_by_a_system_exit_leaves_a_failure_record_on_the_site(tmp_path: Path) -> None:
    with pytest.raises(SystemExit), running(tmp_path, "run-2"):
        raise SystemExit(1)
    failure = RunStore(tmp_path).read("run-2", FAILURE)
    assert failure is not None and "stopped (SystemExit)" in failure["message"]
    assert not (RunStore(tmp_path).run_dir("run-2") / PROCESS_FILE).exists()


def test_a_run_suspended_for_approval_is_not_a_failure_and_leaves_no_pid(tmp_path: Path) -> None:
    with pytest.raises(Pause), running(tmp_path, "run-3"):
        raise Pause()
    assert RunStore(tmp_path).read("run-3", FAILURE) is None
    assert recorded_processes(tmp_path) == []


def test_the_sweep_crashes_only_runs_whose_process_is_gone(tmp_path: Path) -> None:
    record_process(tmp_path, "alive")  # this test's own process
    dead_pid = _dead_pid()
    record_process(tmp_path, "dead", pid=dead_pid)
    prefect = FakePrefect()

    dead = sweep_dead_runs(tmp_path, prefect)

    assert [(d.flow_run_id, d.pid, d.prefect_state, d.marked_crashed) for d in dead] == [
        ("dead", dead_pid, "RUNNING", True)
    ]
    assert [run_id for run_id, _ in prefect.crashed] == ["dead"]
    failure = RunStore(tmp_path).read("dead", FAILURE)
    assert failure is not None and failure["step"] == "site-process" and failure["details"]["pid"] == dead_pid
    assert [p.flow_run_id for p in recorded_processes(tmp_path)] == ["alive"]
    assert sweep_dead_runs(tmp_path, prefect) == []  # once only


def test_a_pid_reused_by_another_process_is_not_taken_for_the_run(tmp_path: Path) -> None:
    path = record_process(tmp_path, "reused")
    data = json.loads(path.read_text())
    assert data["start_ticks"] is not None
    path.write_text(json.dumps({**data, "start_ticks": data["start_ticks"] - 1}))  # an earlier process, same pid
    assert [d.flow_run_id for d in sweep_dead_runs(tmp_path, FakePrefect())] == ["reused"]


def test_a_steps_own_failure_record_is_kept(tmp_path: Path) -> None:
    RunStore(tmp_path).record_failure("run-4", "infer", "step 'infer' failed with exit code 3", {})
    record_process(tmp_path, "run-4", pid=_dead_pid())
    sweep_dead_runs(tmp_path, FakePrefect())
    failure = RunStore(tmp_path).read("run-4", FAILURE)
    assert failure is not None and failure["step"] == "infer"


def test_the_sweep_withdraws_the_unanswered_approval_of_a_dead_run_and_keeps_an_answered_one(tmp_path: Path) -> None:
    """A run killed while its form was open (pause mode keeps the process alive while it waits): its request is
    withdrawn, so the re-dispatched run's request is the only open one; an answered one is left as it is."""
    store = RunStore(tmp_path)
    for run_id in ("asked", "answered"):
        record_process(tmp_path, run_id, pid=_dead_pid())
        store.record_pending(run_id, "result", "Result of model m on dataset d", {"metrics": {"auc": 0.9}}, "a" * 64)
    store.record_decision("answered", "approved", "ok")

    sweep_dead_runs(tmp_path, FakePrefect())

    assert store.read("asked", "decision.json")["decision"] == "withdrawn"  # type: ignore[index]
    assert store.read("answered", "decision.json")["decision"] == "approved"  # type: ignore[index]
    waiting = [pending.flow_run_id for pending in store.approvals() if pending.decision is None]
    assert waiting == []
