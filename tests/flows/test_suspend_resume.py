"""A deployment run suspends at the approval form (no process held) and, resumed, reuses its cached steps."""

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flow_harness import DEADLINE_S, answer, read_run, site_code, wait_for_final_state
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from site_flows import SiteWorld

from medperf.client import RegistryClient
from medperf.site.run_store import RunStore

pytestmark = pytest.mark.prefect
ROOT = Path(__file__).resolve().parents[2]


def test_suspended_run_resumes_with_cached_steps_and_uploads(
    served_site: None, site_world: Callable[..., SiteWorld], data_owner: RegistryClient
) -> None:
    site = site_world()
    flow_run: FlowRun = run_deployment(  # type: ignore[assignment]
        "prepare_dataset/site-a",
        parameters={
            "benchmark_id": site.benchmark_id,
            "data_path": str(site.raw),
            "labels_path": str(site.labels),
            "name": "tiny-suspended",
        },
        timeout=0,
    )
    run_id = str(flow_run.id)
    deadline = time.monotonic() + DEADLINE_S
    while True:
        state = read_run(run_id).state
        if state is not None and state.name == "Suspended" and state.state_details.run_input_keyset:
            break
        assert state is None or not state.is_final(), f"run ended before suspending: {state}"
        assert time.monotonic() < deadline, "the run did not suspend in time"
        time.sleep(0.5)

    (pending,) = [item for item in RunStore(site.data_root).approvals() if item.flow_run_id == run_id]
    answer(run_id, approve=True, code=site_code(site.site_home, pending))
    final = wait_for_final_state(run_id)
    assert final.is_completed(), final.message

    with get_client(sync_client=True) as client:
        task_runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id])))
    prepare_states = sorted(
        str(run.state.name) for run in task_runs if run.name.startswith("prepare") and run.state is not None
    )
    assert prepare_states == ["Cached", "Completed"], "the re-run after resume must reuse the prepared data"
    assert data_owner.datasets.list(benchmark_id=site.benchmark_id).count == 1
