"""Duplicate dispatch on the real stack: one run per pair for racing dispatchers, one approval per payload.

Two committees' `medperf benchmark run` at the same moment make one flow run for the pair (the dispatch's
idempotency key). When the same pair runs twice anyway (an operator pressing Run twice on the deployment),
the second run reaches the approval step while the first one is asking, asks nothing and ends "Duplicate";
the owner answers once and the registry has exactly one finalized result.
"""

import contextvars
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from campaign_world import poll, read_run
from one_site_world import SUFFIX, World, final_state, one_site_world
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment

from medperf.campaign.deployment_names import EVALUATE_FLOW, deployment_name
from medperf.campaign.dispatch import evaluation_parameters
from medperf.campaign.pairs import Pair
from medperf.campaign.prefect_runs import latest_runs
from medperf.campaign.run_tags import run_tags
from medperf.site.approval_claims import DUPLICATE_STATE

pytestmark = [pytest.mark.prefect, pytest.mark.postgres, pytest.mark.s3]


@pytest.fixture(scope="module")
def world(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One site up with a pool of one slot."""
    with one_site_world(stack, tmp_path_factory.mktemp("duplicates"), f"dup-site-{SUFFIX}") as built:
        yield built


def _flow_runs_of(world: World, model_id: int) -> list[FlowRun]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    tags = run_tags(world.benchmark_id, model_id, world.dataset_id)
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=tags)))


def test_two_campaign_dispatches_at_the_same_moment_make_one_run_for_the_pair(world: World) -> None:
    model = world.model()
    start = threading.Barrier(2)
    dispatched: list[list[tuple[int, int, str]]] = []

    def dispatch() -> None:
        start.wait()
        dispatched.append(world.dispatch(model.id))

    # each thread in a copy of this context: Prefect's settings (the stack's API URL) live in a context variable
    threads = [threading.Thread(target=contextvars.copy_context().run, args=(dispatch,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    runs = _flow_runs_of(world, model.id)
    assert len(runs) == 1, [run.name for run in runs]
    run_ids = {run_id for created in dispatched for _, _, run_id in created}
    assert run_ids == {str(runs[0].id)}  # whichever dispatcher came second was given the first one's run
    world.complete(str(runs[0].id), "the one dispatched run")
    assert len(world.finalized(model.id)) == 1
    assert world.dispatch(model.id) == [], "a finalized pair is not dispatched again"


def _press_run(world: World, model_id: int) -> str:
    """What an operator pressing Run on the deployment twice does: a run without the campaign's key."""
    pair = Pair(model_id, world.dataset_id, world.site.name)
    run = run_deployment(
        deployment_name(EVALUATE_FLOW, world.site.name),
        parameters=evaluation_parameters(world.benchmark_id, pair),
        timeout=0,
        tags=run_tags(world.benchmark_id, model_id, world.dataset_id),
        as_subflow=False,
    )
    assert isinstance(run, FlowRun)
    return str(run.id)


def test_the_same_pair_run_twice_asks_the_owner_once_and_finalizes_one_result(world: World) -> None:
    model = world.model()
    first = _press_run(world, model.id)
    poll(lambda: world.approvals_asked(first) or None, "the first run to ask for approval", deadline_s=300)
    second = _press_run(world, model.id)

    state = poll(lambda: final_state(second), "the second run to end", deadline_s=300)
    assert state.is_cancelled() and state.name == DUPLICATE_STATE, (state.name, state.message)
    assert first in (state.message or "")
    assert world.approvals_asked(second) == 0, "the owner was not asked a second time"
    assert read_run(first).state is not None and read_run(first).state.is_paused()

    # the campaign sees the pair as awaiting its one approval, not as ended, and dispatches nothing
    assert latest_runs(world.benchmark_id)[(model.id, world.dataset_id)].flow_run_id == first
    assert world.dispatch(model.id) == []

    world.complete(first, "the asking run")
    assert len(world.finalized(model.id)) == 1
    assert world.approvals_asked(first) == 1
