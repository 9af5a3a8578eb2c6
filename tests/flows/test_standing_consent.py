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

from flows.evaluate_model import evaluate_model
from medperf.campaign.continuous import has_standing_consent
from medperf.client import RegistryClient
from medperf.schemas import ResultStatus, StandingConsentCreate
from medperf.site.run_store import DECISION, RunStore

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
