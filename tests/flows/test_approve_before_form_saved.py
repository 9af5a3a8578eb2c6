"""An answer sent between Prefect's Suspended state and the form's schema being saved is refused: send it again.

`suspend_flow_run` proposes the Suspended state (with its input keyset) first and saves the form's schema
after; a resume in between gets REJECT "Run input schema not found." and stores nothing. The campaign test's
helper took that answer as given and waited 240 s for a run nobody had answered (CI, 2026-12-03).
"""

import contextvars
import threading
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.input.run_input import keyset_from_paused_state
from prefect.states import Paused, Running, State

from flows.approval import ApprovalInput
from medperf.demo.tiny_world import Site
from medperf.site.approval_form import run_input, send_answer
from medperf.site.run_store import RunStore


@flow
def waits_for_the_owner() -> None:
    """Only its name is used: the test moves its run's states by hand."""


def _paused_before_the_form_is_saved() -> tuple[str, Any]:
    """A run Paused with an input keyset whose schema Prefect does not have yet (the race's window)."""
    with get_client(sync_client=True) as client:
        run = client.create_flow_run(waits_for_the_owner)
        client.set_flow_run_state(run.id, Running(), force=True)
        paused: State[Any] = Paused(pause_key="approval-0")
        keyset = keyset_from_paused_state(paused)
        paused.state_details.run_input_keyset = {str(name): value for name, value in keyset.items()}
        client.set_flow_run_state(run.id, paused, force=True)
    return str(run.id), keyset


def _state(run_id: str) -> FlowRun:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(run_id))


def test_an_answer_prefect_did_not_take_is_sent_again_on_the_next_poll(prefect_api: str, tmp_path: Path) -> None:
    run_id, keyset = _paused_before_the_form_is_saved()
    site = Site("site-race", tmp_path / "home", tmp_path / "data", cast(Any, None), {}, (tmp_path, tmp_path))
    RunStore(site.data_root).record_pending(run_id, "result", "evaluate", {"metrics": {"auc": 0.5}}, "ab" * 32)

    assert site.approve_waiting() == []  # REJECT: the schema is not saved yet; nothing was stored
    assert "schema not found" in site.refused[run_id].lower()
    assert _state(run_id).state is not None and _state(run_id).state.is_paused()  # type: ignore[union-attr]

    ApprovalInput.save(keyset, flow_run_id=UUID(run_id))
    assert site.approve_waiting() == [run_id]  # the same answer, sent again, is taken
    assert _state(run_id).state is not None and _state(run_id).state.is_running()  # type: ignore[union-attr]


def test_the_approve_command_sends_its_answer_again_until_the_form_is_saved(prefect_api: str) -> None:
    run_id, keyset = _paused_before_the_form_is_saved()
    later = contextvars.copy_context().run  # the thread sees this test's Prefect API
    saver = threading.Timer(1.0, later, (ApprovalInput.save, keyset), {"flow_run_id": UUID(run_id)})
    saver.start()  # the flow saves its form a moment after it suspended
    answer = run_input(approve=True, approval_code="0" * 8)
    with get_client(sync_client=True) as client:
        assert send_answer(client, UUID(run_id), answer) is None
    saver.join()
    assert _state(run_id).state is not None and _state(run_id).state.is_running()  # type: ignore[union-attr]


def test_a_refusal_other_than_the_unsaved_form_is_returned_at_once(prefect_api: str) -> None:
    run_id, keyset = _paused_before_the_form_is_saved()
    ApprovalInput.save(keyset, flow_run_id=UUID(run_id))
    with get_client(sync_client=True) as client:
        reason = send_answer(client, UUID(run_id), {"decision": "maybe", "approval_code": "x"})
    assert reason is not None and "schema not found" not in reason.lower()  # an invalid answer: not retried
