"""A site crash leaves no zombie: SIGKILL of a site's worker and its run mid-inference, on the real stack.

The run is marked CRASHED (by the site's next worker start, or by the campaign once the run is silent),
the site keeps a failure record, the pool slot is freed and the campaign dispatches the pair again. Then
`medperf benchmark run` through a proxy that answers 503 and answers too late: retried, no duplicate, and on
a final error the runs already created are reported.
"""

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import pytest
from campaign_world import Site, poll, read_run
from faulty_proxy import Fault, faulty_proxy
from one_site_world import SUFFIX, one_site_world
from one_site_world import World as OneSiteWorld
from prefect.client.orchestration import get_client
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.settings import (
    PREFECT_API_REQUEST_TIMEOUT,
    PREFECT_API_URL,
    PREFECT_CLIENT_MAX_RETRIES,
    temporary_settings,
)
from typer.testing import CliRunner

from deployments.site_worker import worker_files
from medperf.campaign.dispatch import dispatch_with_retry
from medperf.campaign.prefect_runs import latest_runs
from medperf.campaign.snapshot import load_snapshot
from medperf.site.liveness import PROCESS_FILE
from medperf.site.run_store import FAILURE, RunStore

pytestmark = [pytest.mark.prefect, pytest.mark.postgres, pytest.mark.s3]


class World(OneSiteWorld):
    """The one-site world (pool of one slot), with the campaign's whole dispatch result."""

    def campaign(self, model_ids: list[int], **options: Any) -> Any:
        """The campaign's dispatch for these models, as `medperf benchmark run` does it: created and crashed runs."""
        client = self.committee.client
        return dispatch_with_retry(lambda: load_snapshot(client, self.benchmark_id), self.benchmark_id,
                                   models=model_ids, **options)


@pytest.fixture(scope="module")
def world(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One site up with a pool of ONE slot (a zombie holding it would block every later run)."""
    with one_site_world(stack, tmp_path_factory.mktemp("faults"), f"crash-site-{SUFFIX}") as built:
        yield World(built.committee, built.site, built.benchmark_id)


def _state(run_id: str) -> str:
    run = read_run(run_id)
    return run.state.type.value if run.state else ""


def _running_process(site: Site, run_id: str) -> int | None:
    """The pid the run's process recorded on the site, once it runs its inference."""
    record = RunStore(site.data_root).run_dir(run_id) / PROCESS_FILE
    inferring = any(site.data_root.glob("work/infer-*/*/logs"))
    if not (record.is_file() and inferring and _state(run_id) == "RUNNING"):
        return None
    import json

    return int(json.loads(record.read_text())["pid"])


def _kill_worker_and_run(site: Site, run_pid: int) -> None:
    """SIGKILL the site's worker and the run's process, as a site crash does (no cleanup runs)."""
    worker_pid = int(worker_files(site.name, site.home).pid_file.read_text())
    os.kill(worker_pid, signal.SIGKILL)
    os.kill(run_pid, signal.SIGKILL)
    os.waitpid(worker_pid, 0)  # the worker is this test's child: reap it, as init reaps a crashed site's

    def gone() -> bool:
        try:
            os.kill(run_pid, 0)
        except ProcessLookupError:
            return True
        return False

    poll(gone, f"the run's process {run_pid} to be gone", deadline_s=30)


def test_a_run_killed_with_its_worker_is_crashed_when_the_site_comes_back_and_dispatched_again(
    world: World,
) -> None:
    site = world.site
    slow = world.model(delay_s=600)
    first = world.campaign([slow.id])
    assert len(first.created) == 1
    run_id = first.created[0].flow_run_id
    run_pid = poll(lambda: _running_process(site, run_id), "the slow model's run to be inferring")

    _kill_worker_and_run(site, run_pid)

    assert _state(run_id) == "RUNNING"  # the zombie: nothing on the server knows the process died
    assert world.campaign([slow.id]).created == []  # in flight, so not dispatched twice (yet)

    site.start_worker()  # `medperf site up` after the crash: the sweep runs before the new worker starts

    assert _state(run_id) == "CRASHED"
    assert "died" in (read_run(run_id).state.message or "")  # type: ignore[union-attr]
    failure = RunStore(site.data_root).read(run_id, FAILURE)
    assert failure is not None and failure["step"] == "site-process" and failure["details"]["pid"] == run_pid
    assert not (RunStore(site.data_root).run_dir(run_id) / PROCESS_FILE).exists()

    again = world.campaign([slow.id])
    assert [(d.pair.model_id, d.pair.dataset_id) for d in again.created] == [(slow.id, site.dataset_id)]
    # The pool has one slot: the new run starts only because the crashed one gave its slot back.
    new_id = again.created[0].flow_run_id
    poll(lambda: _running_process(site, new_id), "the re-dispatched run to start on the one-slot pool")


def _an_inferring_run(world: World) -> tuple[int, int, str]:
    """(model, dataset, run) of a slow model's run on the one-slot pool: the one running, else a new one."""
    running = [(pair, run) for pair, run in latest_runs(world.benchmark_id).items() if run.state_type == "RUNNING"]
    if running:
        (model_id, dataset_id), run = running[0]
        return model_id, dataset_id, run.flow_run_id
    slow = world.model(delay_s=600)
    created = world.campaign([slow.id]).created
    assert len(created) == 1
    return slow.id, created[0].pair.dataset_id, created[0].flow_run_id


def _heartbeats(run_id: str) -> int:
    with get_client(sync_client=True) as client:
        page = client.read_events(
            filter=EventFilter(event=EventNameFilter(name=["prefect.flow-run.heartbeat"]),
                               resource=EventResourceFilter(id=[f"prefect.flow-run.{run_id}"])),
            limit=5,
        )
    return len(page.events)


def test_a_silent_running_run_is_crashed_by_the_campaign_and_its_pair_dispatched_again(world: World) -> None:
    site = world.site
    model_id, dataset_id, run_id = _an_inferring_run(world)
    run_pid = poll(lambda: _running_process(site, run_id), "the run to be inferring")
    # The run's process tells Prefect it is alive (every 30 s on a site): an alive run is never judged silent.
    poll(lambda: _heartbeats(run_id), "a heartbeat of the running run", deadline_s=90)
    assert world.campaign([model_id], stale_after_s=60).crashed == []

    _kill_worker_and_run(site, run_pid)  # and the site stays down

    started = time.monotonic()
    redispatched = poll(lambda: world.campaign([model_id], stale_after_s=60).created or None,
                        "the campaign to crash the silent run and dispatch its pair again", deadline_s=180)
    assert time.monotonic() - started < 120  # within minutes of the crash
    assert _state(run_id) == "CRASHED"
    assert [(d.pair.model_id, d.pair.dataset_id) for d in redispatched] == [(model_id, dataset_id)]


def _cli_benchmark_run(world: World, tmp_path: Path, api_url: str, *options: str) -> Any:
    from medperf.cli import campaign_commands, main

    registered = {group.typer_instance.info.name for group in main.app.registered_groups if group.typer_instance}
    if "consent" not in registered:
        main.app.add_typer(campaign_commands.app)
    home = world.committee.profile_home(tmp_path / "committee-home")
    # Prefect's own client retries are off: what is retried here is the project's policy.
    updates = {PREFECT_API_URL: api_url, PREFECT_CLIENT_MAX_RETRIES: 0, PREFECT_API_REQUEST_TIMEOUT: 3.0}
    with temporary_settings(updates=updates):  # type: ignore[arg-type]
        return CliRunner().invoke(main.app, ["benchmark", "run", "-b", str(world.benchmark_id), "--no-watch", *options],
                                  env={"MEDPERF_HOME": str(home), "MEDPERF_PROFILE": None})


def _runs_of(world: World, model_ids: set[int]) -> dict[int, int]:
    """How many flow runs evaluate each model on the Prefect server (a site's batch run counts for each of its)."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    from medperf.campaign.run_tags import benchmark_tag, parse_run_pairs

    counts = dict.fromkeys(model_ids, 0)
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[benchmark_tag(world.benchmark_id)])),
            limit=200,
        )
    for flow_run in runs:
        for model in {model for model, _ in parse_run_pairs(list(flow_run.tags))} & set(counts):
            counts[model] += 1
    return counts


def test_benchmark_run_retries_503s_and_timeouts_and_dispatches_each_pair_once(
    world: World, stack: Any, tmp_path: Path
) -> None:
    models = {world.model().id, world.model().id}
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(stack.prefect_api_url))

    def faults(method: str, path: str, count: int) -> Fault | None:
        if method == "POST" and path.endswith("/create_flow_run"):
            # the first create answers 503; the second is made but answered too late (a timeout)
            return {0: Fault(status=503), 1: Fault(delay_s=5.0)}.get(count)
        if method == "POST" and path.endswith("/flow_runs/filter") and count == 0:
            return Fault(status=502)
        return None

    with faulty_proxy(origin, faults) as (proxy, log):
        result = _cli_benchmark_run(world, tmp_path, f"{proxy}/api")

    assert result.exit_code == 0, result.output
    assert {fault.status or "late" for _, _, fault in log.injected} == {503, 502, "late"}
    assert "evaluation(s) dispatched" in result.output
    assert _runs_of(world, models) == dict.fromkeys(models, 1)  # the late answer's run was not made twice


def test_benchmark_run_reports_the_runs_it_created_before_a_final_error(
    world: World, stack: Any, tmp_path: Path
) -> None:
    models = {world.model().id, world.model().id}
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(stack.prefect_api_url))

    def faults(method: str, path: str, count: int) -> Fault | None:
        if method == "POST" and path.endswith("/create_flow_run") and count >= 1:
            return Fault(status=500)  # not transient: the dispatch stops
        return None

    only = [option for model in sorted(models) for option in ("-m", str(model))]  # not what earlier tests left
    with faulty_proxy(origin, faults) as (proxy, _):  # a run per pair: two creates, the second one fails
        result = _cli_benchmark_run(world, tmp_path, f"{proxy}/api", "--per-pair", *only)

    assert result.exit_code == 1
    counts = _runs_of(world, models)
    assert sorted(counts.values()) == [0, 1]
    created = next(model for model, count in counts.items() if count == 1)
    assert f"model {created} x dataset {world.site.dataset_id}" in result.output
    assert "the dispatch stopped after creating 1 run(s)" in result.output
    assert "Traceback" not in result.output


def _free_the_pool(world: World) -> None:
    """Cancel what earlier tests left queued or running on the one-slot pool, and make sure a worker runs."""
    from prefect.states import Cancelled

    with get_client(sync_client=True) as client:
        for run in latest_runs(world.benchmark_id).values():
            if run.state_type not in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
                client.set_flow_run_state(UUID(run.flow_run_id), Cancelled(), force=True)
    world.site.start_worker()


def test_a_run_whose_worker_alone_is_killed_goes_on_and_finalizes_its_one_result(world: World) -> None:
    """Finding 4: killing only the worker used to crash its in-flight runs at their next log line. The run
    writes no output through the worker's pipe now: it finishes inferring, waits for approval (suspended,
    holding no slot), and after the site is back up and the owner approves, finalizes exactly one result."""
    site = world.site
    _free_the_pool(world)
    model = world.model(delay_s=20)
    created = world.campaign([model.id]).created
    run_id = created[0].flow_run_id
    poll(lambda: _running_process(site, run_id), "the run to be inferring")

    worker_pid = int(worker_files(site.name, site.home).pid_file.read_text())
    os.kill(worker_pid, signal.SIGKILL)
    os.waitpid(worker_pid, 0)

    def settled() -> str | None:
        state = read_run(run_id).state
        return state.name if state is not None and (state.is_final() or state.is_paused()) else None

    outcome = poll(settled, "the run to reach its approval without its worker", deadline_s=300)
    assert outcome == "Suspended", outcome
    assert RunStore(site.data_root).read(run_id, FAILURE) is None, "the run did not fail"
    assert world.campaign([model.id]).created == [], "waiting for approval: in flight, not dispatched twice"

    site.start_worker()  # `medperf site up` after the worker died
    poll(lambda: site.approve_waiting() or None, "the owner's approval to be taken", deadline_s=120)
    final = poll(settled, "the approved run to finish", deadline_s=300)
    assert final == "Completed", final
    results = world.committee.client.results.list(benchmark_id=world.benchmark_id, model_id=model.id).items
    assert [r.status.value for r in results] == ["FINALIZED"]
    assert world.campaign([model.id]).created == []
