"""Drive site flows as a user would: start them, wait for the approval form, answer it via the run-input API."""

import contextvars
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun, State

from medperf.site.approval_code import approval_code, load_or_create_site_secret
from medperf.site.approval_form import run_input, send_answer
from medperf.site.run_store import PendingApproval, RunStore

DEADLINE_S = 180.0


@dataclass
class FlowThread:
    """A flow called in-process (as the interactive CLI does) on a background thread."""

    thread: threading.Thread
    outcome: dict[str, Any] = field(default_factory=dict)

    def state(self, timeout_s: float = DEADLINE_S) -> State:
        """The final state of the run (waits for the thread)."""
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), "the flow did not finish in time"
        if "error" in self.outcome:
            raise self.outcome["error"]
        state: State = self.outcome["state"]
        return state


def start_flow(flow: Callable[..., Any], **parameters: Any) -> FlowThread:
    """Call the flow on a thread with return_state=True."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["state"] = flow(**parameters, return_state=True)
        except BaseException as err:  # reported to the test thread
            outcome["error"] = err

    # Prefect's settings (the test server's API URL) live in context variables: carry them over.
    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(target,), daemon=True)
    result = FlowThread(thread, outcome)
    thread.start()
    return result


def read_run(flow_run_id: str) -> FlowRun:
    """The flow run as the Prefect server knows it."""
    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(flow_run_id))


def wait_for_approval_form(data_root: Path, known: set[str], running: FlowThread | None = None) -> PendingApproval:
    """Poll (with a deadline) until a new run is paused at the approval form; returns its local record."""
    deadline = time.monotonic() + DEADLINE_S
    store = RunStore(data_root)
    while time.monotonic() < deadline:
        for pending in store.approvals():
            if pending.flow_run_id in known:
                continue
            state = read_run(pending.flow_run_id).state
            if state is not None and state.is_paused() and state.state_details.run_input_keyset:
                return pending
        if running is not None and not running.thread.is_alive():
            raise AssertionError(f"the flow ended before its approval step: {running.state()}")
        time.sleep(0.3)
    raise AssertionError("no run reached the approval form in time")


def wait_for_final_state(flow_run_id: str) -> State:
    """Poll the server (with a deadline) until the run is final."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        state = read_run(flow_run_id).state
        if state is not None and state.is_final():
            return state
        time.sleep(0.3)
    raise AssertionError(f"run {flow_run_id} did not finish in time")


def form_description(flow_run_id: str) -> str:
    """The approval form's description, read from the run-input API as the UI does."""
    run = read_run(flow_run_id)
    assert run.state is not None
    keyset = run.state.state_details.run_input_keyset
    assert keyset is not None
    with get_client(sync_client=True) as client:
        stored = client.read_flow_run_input(UUID(flow_run_id), keyset["description"])
    return str(json.loads(stored))


def site_code(site_home: Path, pending: PendingApproval) -> str:
    """The approval code `medperf approvals ls` shows on the site machine."""
    return approval_code(load_or_create_site_secret(site_home), pending.flow_run_id, pending.payload_sha256)


def answer(flow_run_id: str, *, approve: bool, code: str, comment: str = "") -> None:
    """Submit the approval form through the API, exactly as the Prefect UI does."""
    with get_client(sync_client=True) as client:
        given = run_input(approve=approve, approval_code=code, comment=comment)
        reason = send_answer(client, UUID(flow_run_id), given)
    assert reason is None, f"Prefect did not take the answer: {reason}"
