"""Run a site flow in this process (interactive CLI) and answer its approval form through the run-input API."""

import contextvars
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import State
from prefect.flow_engine import run_flow

from medperf.errors import MedPerfError
from medperf.site.approval_code import approval_code, load_or_create_site_secret
from medperf.site.approval_form import run_input, send_answer
from medperf.site.run_store import ANSWER_CLAIM, APPROVAL, PendingApproval, RunStore


class ApprovalNotPending(MedPerfError):
    """The run is not waiting at its approval form."""


@dataclass
class InProcessRun:
    """A flow run created on the Prefect API and executed on a thread of this process."""

    flow_run_id: str
    thread: threading.Thread
    outcome: dict[str, Any]

    def finished(self) -> bool:
        """Whether the flow has ended."""
        return not self.thread.is_alive()

    def final_state(self) -> State:
        """The final state (call after finished())."""
        self.thread.join()
        if "error" in self.outcome:
            raise self.outcome["error"]
        state: State = self.outcome["state"]
        return state


def start_in_process(flow: Flow[..., Any], parameters: dict[str, Any]) -> InProcessRun:
    """Create the run (so its id is known at once) and run it on a thread; it pauses, it cannot suspend."""
    with get_client(sync_client=True) as client:
        flow_run = client.create_flow_run(flow, parameters=parameters)
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["state"] = run_flow(flow, flow_run=flow_run, parameters=parameters, return_type="state")
        except BaseException as err:  # handed to the caller's thread
            outcome["error"] = err

    thread = threading.Thread(target=contextvars.copy_context().run, args=(target,), daemon=True)
    thread.start()
    return InProcessRun(str(flow_run.id), thread, outcome)


def is_waiting_for_input(flow_run_id: str) -> bool:
    """Whether the run is paused or suspended at a form."""
    return waiting_form_key(flow_run_id) is not None


def waiting_form_key(flow_run_id: str) -> str | None:
    """The pause key of the form the run waits at ("" when Prefect names none), or None when it waits at none."""
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(UUID(flow_run_id)).state
    if not (state and state.is_paused() and state.state_details.run_input_keyset):
        return None
    return state.state_details.pause_key or ""


def wait_for_form_or_end(
    run: InProcessRun, data_root: Path, on_tick: Callable[[], None] | None = None, poll_s: float = 0.1
) -> PendingApproval | None:
    """Block until the run waits at its approval form (its local record) or ends (None)."""
    store = RunStore(data_root)
    while not run.finished():
        if store.read(run.flow_run_id, APPROVAL) is not None and is_waiting_for_input(run.flow_run_id):
            return pending_approval(data_root, run.flow_run_id)
        if on_tick is not None:
            on_tick()
        time.sleep(poll_s)
    return None


def pending_approval(data_root: Path, flow_run_id: str) -> PendingApproval:
    """The local approval record of a run, or ApprovalNotPending."""
    for item in RunStore(data_root).approvals():
        if item.flow_run_id == flow_run_id:
            return item
    raise ApprovalNotPending(f"run {flow_run_id} has no approval recorded on this site; check the run id")


def site_code_for(home: Path, pending: PendingApproval) -> str:
    """The approval code of a pending payload (only this machine can compute it)."""
    return approval_code(load_or_create_site_secret(home), pending.flow_run_id, pending.payload_sha256)


DECISION_WAIT_S = 60.0


def _claim(store: RunStore, flow_run_id: str, approve: bool) -> Path:
    """Take the run's answer slot on this machine (compare-and-set: O_EXCL), or ApprovalNotPending if taken."""
    claim = store.run_dir(flow_run_id) / ANSWER_CLAIM
    claim.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        raise ApprovalNotPending(
            f"run {flow_run_id}: another answer is being sent from this machine right now; "
            "check `medperf approvals ls` in a minute"
        ) from None
    with os.fdopen(fd, "w") as out:
        out.write(f"{'approve' if approve else 'reject'} pid {os.getpid()} at {time.time():.0f}\n")
    return claim


def _outcome(store: RunStore, flow_run_id: str, key: str, sent_at: datetime) -> str | None:
    """How the run judged this answer (approved, rejected, wrong-code, invalid-rows), or None if it has not yet.

    The answer is the first one the run recorded for the form's pause key; without a key, the first one
    recorded since it was sent.
    """
    deadline = time.monotonic() + DECISION_WAIT_S
    while time.monotonic() < deadline:
        answers = store.answers(flow_run_id)
        judged = ([item for item in answers if item.get("key") == key] if key else
                  [item for item in answers if datetime.fromisoformat(item["at"]) >= sent_at])
        if judged:
            return str(judged[0]["decision"])
        time.sleep(0.3)
    return None


def submit_decision(
    home: Path, data_root: Path, pending: PendingApproval, *, approve: bool, comment: str, reject_rows: str = ""
) -> str:
    """Answer the form through the run-input API, exactly as the Prefect UI does; what the run then decided.

    One answer per waiting form: the answer slot is claimed on this machine first (a second command at the
    same moment is refused), Prefect takes only one resume of a paused run (the other is told so), and the
    result is what the run itself recorded: "approved", "rejected", "wrong-code", or "sent" when the run has
    not recorded it yet (a suspended run restarts first). reject_rows ("2, 5") answers a batch's form.
    """
    store = RunStore(data_root)
    claim = _claim(store, pending.flow_run_id, approve)
    try:
        key = waiting_form_key(pending.flow_run_id)
        if key is None:
            raise ApprovalNotPending(f"run {pending.flow_run_id} is not waiting for approval (already decided?)")
        answer = run_input(approve=approve, approval_code=site_code_for(home, pending), comment=comment,
                           reject_rows=reject_rows)
        sent_at = datetime.now(UTC).replace(microsecond=0)
        with get_client(sync_client=True) as client:
            reason = send_answer(client, UUID(pending.flow_run_id), answer)
        if reason is not None:  # nothing was stored: say so, never "approved"
            raise ApprovalNotPending(
                f"run {pending.flow_run_id}: Prefect did not take the answer ({reason}); another answer may have "
                "come first: check `medperf approvals ls` and answer again if it still waits"
            )
        return _outcome(store, pending.flow_run_id, key, sent_at) or "sent"
    finally:
        claim.unlink(missing_ok=True)
