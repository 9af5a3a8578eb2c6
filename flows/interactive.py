"""Run a site flow in this process (interactive CLI) and answer its approval form through the run-input API."""

import contextvars
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import State
from prefect.flow_engine import run_flow

from medperf.errors import MedPerfError
from medperf.site.approval_code import approval_code, load_or_create_site_secret
from medperf.site.approval_form import not_taken_reason, run_input
from medperf.site.run_store import APPROVAL, PendingApproval, RunStore


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
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(UUID(flow_run_id)).state
    return bool(state and state.is_paused() and state.state_details.run_input_keyset)


def wait_for_form_or_end(
    run: InProcessRun, data_root: Path, on_tick: Callable[[], None] | None = None, poll_s: float = 0.5
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


def submit_decision(home: Path, pending: PendingApproval, *, approve: bool, comment: str) -> None:
    """Answer the form through the run-input API, exactly as the Prefect UI does."""
    if not is_waiting_for_input(pending.flow_run_id):
        raise ApprovalNotPending(f"run {pending.flow_run_id} is not waiting for approval (already decided?)")
    answer = run_input(approve=approve, approval_code=site_code_for(home, pending), comment=comment)
    with get_client(sync_client=True) as client:
        done = client.resume_flow_run(UUID(pending.flow_run_id), run_input=answer)
    reason = not_taken_reason(done)
    if reason is not None:  # nothing was stored: say so, never "approved"
        raise ApprovalNotPending(
            f"run {pending.flow_run_id}: Prefect did not take the answer ({reason}); check `medperf approvals ls` "
            "and answer again if it still waits"
        )
