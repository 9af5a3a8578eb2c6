"""A worker killed while submitting leaves its run PENDING with no process; the next worker start queues it again."""

from uuid import UUID, uuid4

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.objects import StateType
from prefect.states import Pending, Running

from medperf.site.liveness import requeue_stranded_submissions


def _run_in_pool(client: SyncPrefectClient, pool: str) -> UUID:
    """A flow run of a deployment on this pool (nothing executes it: no worker polls the pool here)."""
    client.create_work_pool(WorkPoolCreate(name=pool, type="process"), overwrite=True)
    flow_id = client.create_flow_from_name(f"stranded-{pool}")
    deployment_id = client.create_deployment(flow_id=flow_id, name=pool, work_pool_name=pool)
    return UUID(str(client.create_flow_run_from_deployment(deployment_id).id))


def test_a_run_left_submitting_is_scheduled_again_and_other_runs_are_left_alone(prefect_api: str) -> None:
    pool, other = f"site-{uuid4().hex[:8]}", f"site-{uuid4().hex[:8]}"
    with get_client(sync_client=True) as client:
        stranded, running = _run_in_pool(client, pool), _run_in_pool(client, pool)
        elsewhere = _run_in_pool(client, other)
        for run_id in (stranded, elsewhere):
            client.set_flow_run_state(run_id, Pending(name="Submitting"), force=True)
        client.set_flow_run_state(running, Running(), force=True)

        assert requeue_stranded_submissions(pool) == [str(stranded)]

        state = client.read_flow_run(stranded).state
        assert state is not None and state.type is StateType.SCHEDULED and state.name == "Resubmitted"
        assert "worker died while submitting" in str(state.message)
        running_state, other_state = client.read_flow_run(running).state, client.read_flow_run(elsewhere).state
        assert running_state is not None and running_state.type is StateType.RUNNING
        assert other_state is not None and other_state.name == "Submitting", "another site's pool is not touched"
    assert requeue_stranded_submissions(pool) == [], "nothing left stranded"
