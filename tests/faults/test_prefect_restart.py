"""The Prefect server is stopped and started again (same Postgres database, same address) under a site's run.

Its own server, not the session's: the registry, the object store and Postgres are the stack's, Prefect runs
on a database of its own. A restart while the model runs (the inference ends during the outage; the client's
retries carry the run over it) and while the run waits for the data owner each end with exactly one finalized
result and the owner asked once. An outage longer than the client's retries stops the run: the worker reports
it CRASHED once the server is back (no zombie), the site records why in one line and withdraws the approval it
had asked for, the site's next deliver_outbox run puts that line on the run's state (what the UI shows), and
the re-dispatched run finalizes the one result, asking the owner once.
"""

import importlib.util
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from campaign_world import poll, read_run
from one_site_world import SUFFIX, World, one_site_world
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.site_run import record_failures
from medperf.campaign.deployment_names import OUTBOX_FLOW, deployment_name
from medperf.errors import ConnectionLost
from medperf.settings import SiteSettings
from medperf.site.liveness import PROCESS_FILE
from medperf.site.run_store import FAILURE, WITHDRAWN, RunStore

pytestmark = [pytest.mark.prefect, pytest.mark.postgres, pytest.mark.s3]
ROOT = Path(__file__).resolve().parents[2]
OUTAGE_S = 20.0  # shorter than the Prefect client's own retries (5, 2 s doubling: about a minute)
# The long outage's run has 2 client retries (2 s + 4 s, each up to 20 % longer): it gives up its call and,
# after as long again, its report of the failure, within 15 s of its first failed call; the site's worker
# keeps Prefect's 5 (about a minute) and outlives the outage to report the run. With the 5 retries everywhere
# the outage had to outlast two rounds of about 75 s each (100 s failed in CI; 150 s held).
RUN_RETRIES = {"PREFECT_CLIENT_MAX_RETRIES": "2"}
LONG_OUTAGE_S = 45.0


def _infra(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"medperf_restart_{name}", ROOT / "infra" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


class RestartablePrefect:
    """A Prefect server on its own Postgres database that the test stops and starts again at the same address."""

    def __init__(self, stack: Any) -> None:
        self.module = _infra("prefect_server")
        name = f"prefect_restart_{SUFFIX}"
        _infra("stack")._create_database(stack.registry_database_url, name)
        base = stack.registry_database_url.replace("postgresql+psycopg://", "postgresql+asyncpg://")
        self.database_url = base.rsplit("/", 1)[0] + "/" + name
        self.port = int(self.module.free_port())
        self.server: Any = None

    @property
    def api_url(self) -> str:
        """The address every client keeps across the restart."""
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> None:
        """Start (again) on the same database and port; returns once /api/health answers."""
        server = self.module.PrefectServer(database_url=self.database_url)
        server.port, server.api_url = self.port, self.api_url
        self.server = server.start()

    def stop(self) -> None:
        """Stop the server; nothing answers at the address afterwards."""
        if self.server is not None:
            self.server.stop()
            self.server = None
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{self.api_url}/health", timeout=2.0)

    def restart(self, down_s: float = OUTAGE_S) -> None:
        """Stop, stay down for down_s, start again."""
        self.stop()
        time.sleep(down_s)  # the outage itself: what is measured is what the site does meanwhile
        self.start()


@pytest.fixture(scope="module")
def prefect(stack: Any) -> Iterator[RestartablePrefect]:
    server = RestartablePrefect(stack)
    server.start()
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def world(stack: Any, prefect: RestartablePrefect, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("prefect-restart")
    with one_site_world(stack, root, f"restart-site-{SUFFIX}", site_env={"PREFECT_API_URL": prefect.api_url}) as w:
        yield w


def _inferences(world: World) -> int:
    """How many inferences the site has started (each has a work folder of its own)."""
    return len(list(world.site.data_root.glob("work/infer-*/*/logs")))


def _inferring(world: World, run_id: str, before: int) -> bool:
    """The run is RUNNING on the site and its model has started."""
    run = read_run(run_id)
    record = RunStore(world.site.data_root).run_dir(run_id) / PROCESS_FILE
    return bool(run.state and run.state.type.value == "RUNNING" and record.is_file() and _inferences(world) > before)


def _settled(run_id: str) -> str | None:
    state = read_run(run_id).state
    if state is None:
        return None
    return state.type.value if state.is_final() or state.is_paused() else None


def test_a_prefect_restart_while_the_model_runs_ends_in_one_finalized_result(
    world: World, prefect: RestartablePrefect
) -> None:
    model = world.model(delay_s=8)  # the inference ends while the server is down
    before = _inferences(world)
    run_id = world.dispatch_one(model.id)
    poll(lambda: _inferring(world, run_id, before), "the run to be inferring")

    prefect.restart()

    assert poll(lambda: _settled(run_id), "the run to ask for approval or end after the restart") == "PAUSED"
    assert world.approvals_asked(run_id) == 1
    world.complete(run_id, "the run to complete once approved")
    assert len(world.finalized(model.id)) == 1
    assert world.approvals_asked(run_id) == 1  # the owner was asked once
    assert world.dispatch(model.id) == []  # done: the campaign dispatches nothing more


def test_a_prefect_restart_while_the_run_waits_for_approval_loses_nothing(
    world: World, prefect: RestartablePrefect
) -> None:
    model = world.model()
    run_id = world.dispatch_one(model.id)
    assert poll(lambda: _settled(run_id), "the run to ask for approval") == "PAUSED"

    prefect.restart()

    assert _settled(run_id) == "PAUSED"  # the wait survived the restart
    world.complete(run_id, "the run to complete once approved after the restart")
    assert len(world.finalized(model.id)) == 1
    assert world.approvals_asked(run_id) == 1


def test_an_outage_longer_than_the_clients_retries_stops_the_run_with_a_site_record_and_no_zombie(
    world: World, prefect: RestartablePrefect
) -> None:
    model = world.model(delay_s=5)
    before = _inferences(world)
    run_id = world.dispatch_with_env(model.id, RUN_RETRIES)
    poll(lambda: _inferring(world, run_id, before), "the run to be inferring")

    prefect.restart(down_s=LONG_OUTAGE_S)

    # The run's process gave up (its request for approval could not publish the payload) and exited; the
    # site's worker, which outlived the outage, reports it (with Prefect's generic message) once the server
    # is back: no zombie.
    assert poll(lambda: _settled(run_id), "the run to end once the server is back", deadline_s=120) == "CRASHED"
    failure = RunStore(world.site.data_root).read(run_id, FAILURE)
    assert failure is not None and failure["step"] == "ConnectionLost"
    assert failure["message"].startswith(f"the run lost the server at http://127.0.0.1:{prefect.port} (ConnectError)")
    assert len(failure["message"].splitlines()) == 1
    approvals = RunStore(world.site.data_root).approvals()
    asked = [pending.decision for pending in approvals if pending.flow_run_id == run_id]
    assert asked == [WITHDRAWN]  # recorded on the site before the run stopped, and not left open
    assert world.finalized(model.id) == []

    # What the operator sees in the UI: the site's next deliver_outbox run gives the run the site's own line.
    sweep = run_deployment(deployment_name(OUTBOX_FLOW, world.site.name), timeout=0, as_subflow=False)
    assert isinstance(sweep, FlowRun)
    assert poll(lambda: _settled(str(sweep.id)), "the site's deliver_outbox run", deadline_s=120) == "COMPLETED"
    shown = read_run(run_id).state
    assert shown is not None and shown.is_crashed() and shown.message == failure["message"], shown

    again = world.dispatch_one(model.id)  # the campaign dispatches the pair again
    world.complete(again, "the re-dispatched run to complete")
    assert len(world.finalized(model.id)) == 1
    open_or_answered = [pending for pending in RunStore(world.site.data_root).approvals()
                        if pending.flow_run_id in {run_id, again} and pending.decision != WITHDRAWN]
    assert [pending.flow_run_id for pending in open_or_answered] == [again]  # the owner answered once


def test_a_lost_server_is_recorded_on_the_site_and_an_unanswered_approval_withdrawn(tmp_path: Path) -> None:
    settings = SiteSettings(name="site-x", data_root=tmp_path)
    store = RunStore(tmp_path)
    store.record_pending("run-1", "result", "Result", {"metrics": {"auc": 0.5}}, "0" * 64)
    request = httpx.Request("POST", "http://127.0.0.1:4299/api/artifacts/")

    with pytest.raises(ConnectionLost) as raised, record_failures(settings, "run-1"):
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    assert str(raised.value).startswith("the run lost the server at http://127.0.0.1:4299 (ConnectError) and stopped")
    failure = store.read("run-1", FAILURE)
    assert failure is not None and (failure["step"], failure["message"]) == ("ConnectionLost", str(raised.value))
    assert [pending.decision for pending in store.approvals()] == [WITHDRAWN]


def test_an_answered_approval_is_kept_and_other_errors_pass_through(tmp_path: Path) -> None:
    settings = SiteSettings(name="site-x", data_root=tmp_path)
    store = RunStore(tmp_path)
    store.record_pending("run-2", "result", "Result", {"metrics": {"auc": 0.5}}, "0" * 64)
    store.record_decision("run-2", "approved", "ok")  # its upload waits in the outbox: it must not be withdrawn
    request = httpx.Request("GET", "http://127.0.0.1:4299/api/health")
    with pytest.raises(ConnectionLost), record_failures(settings, "run-2"):
        raise httpx.ReadTimeout("timed out", request=request)
    assert [pending.decision for pending in store.approvals()] == ["approved"]

    with pytest.raises(ValueError), record_failures(settings, "run-3"):
        raise ValueError("a bug, not an outage")
    assert store.read("run-3", FAILURE) is None
