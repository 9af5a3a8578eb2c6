"""evaluate_model with standing_consent=True uploads without pausing only under a live consent of the owner."""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from flow_harness import DEADLINE_S, answer, site_code, start_flow, wait_for_approval_form
from prefect.client.orchestration import get_client
from site_flows import SiteWorld

from flows.evaluate_batch import evaluate_batch
from flows.evaluate_model import evaluate_model
from flows.interactive import submit_decision
from medperf.campaign.continuous import has_standing_consent
from medperf.client import RegistryClient
from medperf.schemas import ResultStatus, StandingConsentCreate
from medperf.site.run_store import DECISION, RunStore
from medperf.storage import ObjectStore

pytestmark = pytest.mark.prefect


def _pauses_for_approval(data_root: Path, site_home: Path, benchmark_id: int, model_id: int, dataset_id: int) -> str:
    """Start the flow with standing_consent=True; it must stop at the approval form (rejected here)."""
    known = {item.flow_run_id for item in RunStore(data_root).approvals()}
    run = start_flow(
        evaluate_model,
        benchmark_id=benchmark_id,
        model_id=model_id,
        dataset_id=dataset_id,
        standing_consent=True,
        approval_timeout="120 seconds",
    )
    pending = wait_for_approval_form(data_root, known, run)
    answer(pending.flow_run_id, approve=False, code=site_code(site_home, pending))
    state = run.state()
    assert state.is_cancelled() and state.name == "Rejected", state.message
    return pending.flow_run_id


@pytest.fixture
def prepared(site_world: Callable[..., SiteWorld]) -> tuple[SiteWorld, int]:
    """A benchmark and the site's dataset, prepared, approved and associated with it."""
    site = site_world()
    return site, site.prepared_dataset()


def test_standing_consent_skips_the_pause_only_while_it_holds(
    prepared: tuple[SiteWorld, int], data_owner: RegistryClient
) -> None:
    site, dataset_id = prepared
    data_root, site_home, bench_id, model_id = site.data_root, site.site_home, site.benchmark_id, site.model_id

    # no consent in the registry: the flag alone does not skip the owner's approval
    _pauses_for_approval(data_root, site_home, bench_id, model_id, dataset_id)

    # an expired consent does not count either
    soon = datetime.now(UTC) + timedelta(seconds=2)
    data_owner.consents.create(StandingConsentCreate(benchmark_id=bench_id, dataset_id=dataset_id, expires_at=soon))
    deadline = time.monotonic() + DEADLINE_S
    while has_standing_consent(data_owner, bench_id, dataset_id):
        assert time.monotonic() < deadline, "the consent did not expire in time"
        time.sleep(0.2)
    _pauses_for_approval(data_root, site_home, bench_id, model_id, dataset_id)
    assert data_owner.results.list(dataset_id=dataset_id).items[0].status == ResultStatus.PENDING

    # a live consent: the run uploads without ever waiting at a form, and the site records why
    until = datetime.now(UTC) + timedelta(days=30)
    data_owner.consents.create(StandingConsentCreate(benchmark_id=bench_id, dataset_id=dataset_id, expires_at=until))
    state = evaluate_model(
        benchmark_id=bench_id,
        model_id=model_id,
        dataset_id=dataset_id,
        standing_consent=True,
        approval_timeout="5 seconds",
        return_state=True,
    )
    assert state.is_completed(), state.message
    flow_run_id = str(state.state_details.flow_run_id)
    with get_client(sync_client=True) as client:
        history = client.read_flow_run_states(UUID(flow_run_id))
    assert not [item.name for item in history if item.is_paused()], "the run paused despite the consent"
    decision = RunStore(data_root).read(flow_run_id, DECISION)
    assert decision is not None and decision["decision"] == "standing-consent"
    (result,) = data_owner.results.list(dataset_id=dataset_id).items
    assert result.status == ResultStatus.FINALIZED and result.metrics is not None


def test_standing_consent_never_overrides_a_later_rejection_of_the_same_result(
    prepared: tuple[SiteWorld, int], data_owner: RegistryClient
) -> None:
    """The owner consents, then says "no" to this model's result: the next run asks again instead of uploading."""
    site, dataset_id = prepared
    data_root, site_home, bench_id, model_id = site.data_root, site.site_home, site.benchmark_id, site.model_id
    until = datetime.now(UTC) + timedelta(days=30)
    data_owner.consents.create(StandingConsentCreate(benchmark_id=bench_id, dataset_id=dataset_id, expires_at=until))
    assert has_standing_consent(data_owner, bench_id, dataset_id)

    known = {item.flow_run_id for item in RunStore(data_root).approvals()}
    run = start_flow(evaluate_model, benchmark_id=bench_id, model_id=model_id, dataset_id=dataset_id)
    pending = wait_for_approval_form(data_root, known, run)
    answer(pending.flow_run_id, approve=False, code=site_code(site_home, pending), comment="not this one")
    assert run.state().name == "Rejected"

    # the consent is still live, but the rejection is newer: the run pauses for the owner (rejected again here)
    _pauses_for_approval(data_root, site_home, bench_id, model_id, dataset_id)
    assert data_owner.results.list(dataset_id=dataset_id).items[0].status == ResultStatus.PENDING


def _paused(flow_run_id: str) -> list[str]:
    with get_client(sync_client=True) as client:
        return [item.name for item in client.read_flow_run_states(UUID(flow_run_id)) if item.is_paused()]


def test_a_batch_under_standing_consent_uploads_every_row_unasked_but_asks_for_a_row_rejected_since(
    prepared: tuple[SiteWorld, int], data_owner: RegistryClient, store: ObjectStore
) -> None:
    """What continuous evaluation dispatches: one evaluate_batch per site and benchmark, standing_consent=True."""
    site, dataset_id = prepared
    data_root, bench_id = site.data_root, site.benchmark_id
    second, third, fourth = (site.associated_model(store, threshold=threshold) for threshold in (6, 9, 14))
    until = datetime.now(UTC) + timedelta(days=30)  # a consent covers the models the benchmark has when given
    data_owner.consents.create(StandingConsentCreate(benchmark_id=bench_id, dataset_id=dataset_id, expires_at=until))

    # the consent covers both rows: uploaded without a form, the site records the table and why
    state = evaluate_batch(benchmark_id=bench_id, pairs=[[site.model_id, dataset_id], [second, dataset_id]],
                           standing_consent=True, approval_timeout="5 seconds", return_state=True)
    assert state.is_completed(), state.message
    run_id = str(state.state_details.flow_run_id)
    assert _paused(run_id) == [], "the batch paused despite the consent"
    decision = RunStore(data_root).read(run_id, DECISION)
    assert decision is not None and decision["decision"] == "standing-consent"
    finalized = data_owner.results.list(dataset_id=dataset_id, status=ResultStatus.FINALIZED).items
    assert sorted(result.model_id for result in finalized) == sorted([site.model_id, second])

    # after the consent, the owner rejects row 1 (the third model) of an ordinary batch
    known = {item.flow_run_id for item in RunStore(data_root).approvals()}
    run = start_flow(evaluate_batch, benchmark_id=bench_id, pairs=[[third, dataset_id], [fourth, dataset_id]],
                     approval_timeout="120 seconds")
    pending = wait_for_approval_form(data_root, known, run)
    assert [row["model_id"] for row in pending.payload["rows"]] == [third, fourth]
    assert submit_decision(site.site_home, data_root, pending, approve=True, comment="", reject_rows="1") == "approved"
    assert run.state().is_completed()
    assert RunStore(data_root).read(pending.flow_run_id, DECISION)["rejected_rows"] == [1]  # type: ignore[index]

    # the consent still stands, but that row's "no" is newer: a batch under the consent asks for it again
    known = {item.flow_run_id for item in RunStore(data_root).approvals()}
    again = start_flow(evaluate_batch, benchmark_id=bench_id, pairs=[[third, dataset_id]], standing_consent=True,
                       approval_timeout="120 seconds")
    asked = wait_for_approval_form(data_root, known, again)
    answer(asked.flow_run_id, approve=False, code=site_code(site.site_home, asked))
    assert again.state().name == "Rejected"
    assert all(result.model_id != third
               for result in data_owner.results.list(dataset_id=dataset_id, status=ResultStatus.FINALIZED).items)
