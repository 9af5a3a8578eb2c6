"""One open approval request per payload on a site: claims, take-over once the holder's request is over."""

import threading
from pathlib import Path

from medperf.site.approval_claims import ApprovalClaims
from medperf.site.run_store import DECISION, WITHDRAWN, RunStore

DIGEST = "ab" * 32


def _never_final(_: str) -> bool:
    return False


def _asked(store: RunStore, run_id: str) -> None:
    store.record_pending(run_id, "result", "title", {"benchmark_id": 1}, DIGEST)


def test_the_first_run_may_ask_and_a_second_run_with_the_same_payload_is_told_who_asks(tmp_path: Path) -> None:
    claims = ApprovalClaims(tmp_path)
    assert claims.claim("result", DIGEST, "run-1", _never_final) is None
    _asked(RunStore(tmp_path), "run-1")
    assert claims.claim("result", DIGEST, "run-2", _never_final) == "run-1"
    assert claims.holder("result", DIGEST) == "run-1"


def test_the_holder_asks_again_after_its_resume_and_another_payload_is_its_own_claim(tmp_path: Path) -> None:
    claims = ApprovalClaims(tmp_path)
    assert claims.claim("result", DIGEST, "run-1", _never_final) is None
    assert claims.claim("result", DIGEST, "run-1", _never_final) is None  # the re-run after a suspend
    assert claims.claim("result", "cd" * 32, "run-2", _never_final) is None
    assert claims.claim("statistics", DIGEST, "run-3", _never_final) is None


def test_once_the_holder_has_a_decision_the_next_run_takes_the_claim(tmp_path: Path) -> None:
    claims, store = ApprovalClaims(tmp_path), RunStore(tmp_path)
    claims.claim("result", DIGEST, "run-1", _never_final)
    _asked(store, "run-1")
    store.record_decision("run-1", "rejected", "no")
    assert claims.claim("result", DIGEST, "run-2", _never_final) is None
    assert claims.holder("result", DIGEST) == "run-2"
    kept = store.read("run-1", DECISION)
    assert kept is not None and kept["decision"] == "rejected"  # the owner's answer is not overwritten


def test_a_holder_whose_prefect_run_ended_unanswered_is_withdrawn_and_the_claim_passes(tmp_path: Path) -> None:
    claims, store = ApprovalClaims(tmp_path), RunStore(tmp_path)
    claims.claim("result", DIGEST, "run-1", _never_final)
    _asked(store, "run-1")
    assert claims.claim("result", DIGEST, "run-2", lambda run_id: run_id == "run-1") is None
    decision = store.read("run-1", DECISION)
    assert decision is not None and decision["decision"] == WITHDRAWN  # `approvals ls` shows no open request


def test_runs_claiming_at_the_same_moment_leave_exactly_one_asking(tmp_path: Path) -> None:
    claims, store = ApprovalClaims(tmp_path), RunStore(tmp_path)
    start = threading.Barrier(8)
    outcomes: dict[str, str | None] = {}

    def claim(run_id: str) -> None:
        start.wait()
        outcomes[run_id] = ApprovalClaims(tmp_path).claim("result", DIGEST, run_id, _never_final)

    threads = [threading.Thread(target=claim, args=(f"run-{index}",)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    asking = [run_id for run_id, holder in outcomes.items() if holder is None]
    assert len(asking) == 1
    assert set(outcomes.values()) == {None, asking[0]}
    assert claims.holder("result", DIGEST) == asking[0]
    assert store.read(asking[0], DECISION) is None
