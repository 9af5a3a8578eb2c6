"""A run's failure record on the site: each failed pair of a batch kept, and what stopped the run on top."""

import threading
from pathlib import Path

from medperf.site.run_store import RunStore


def test_each_failed_pair_is_kept_once_with_its_first_record_and_is_not_the_runs_failure(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.record_failure("run-1", "infer", "model 2 exited 3", {"exit_code": 3, "log": "/site/log"}, pair=(2, 7))
    store.record_failure("run-1", "StepFailed", "model 2 exited 3", {}, pair=(2, 7))  # the batch's own, later
    store.record_failure("run-1", "ConfigError", "dataset 7 changed", {}, pair=(4, 7))
    assert [(p["model_id"], p["step"], p["details"]) for p in store.failed_pairs("run-1")] == [
        (2, "infer", {"exit_code": 3, "log": "/site/log"}), (4, "ConfigError", {})]
    assert store.run_failure("run-1") is None  # the run itself went on: nothing stopped it


def test_what_stops_a_batch_after_failed_pairs_is_recorded_as_the_runs_failure_and_keeps_them(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.record_failure("run-2", "infer", "model 2 exited 3", {}, pair=(2, 7))
    store.record_failure("run-2", "ConnectionLost", "the run lost the server at http://127.0.0.1:4200", {})
    failure = store.run_failure("run-2")
    assert failure is not None and failure["step"] == "ConnectionLost"  # what lost_runs reports to Prefect
    assert [p["model_id"] for p in store.failed_pairs("run-2")] == [2]


def test_pairs_failing_at_once_on_threads_are_all_kept(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    barrier = threading.Barrier(8)

    def fail(model_id: int) -> None:
        barrier.wait()
        store.record_failure("run-3", "infer", f"model {model_id} failed", {}, pair=(model_id, 1))

    threads = [threading.Thread(target=fail, args=(m,)) for m in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(p["model_id"] for p in store.failed_pairs("run-3")) == list(range(8))
