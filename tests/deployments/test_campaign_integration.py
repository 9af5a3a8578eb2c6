"""A campaign over three real sites: remote triggering, approvals through the Prefect API, a late worker,
incremental campaigns and a scheduled continuous evaluation; Prefect and MedPerf on Postgres, SeaweedFS as S3."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from campaign_world import Site, finish_with_approvals, interval, poll, read_run
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from typer.testing import CliRunner

from deployments.site_plan import SitePlan
from deployments.site_worker import start_worker, stop_worker
from deployments.work_pool import ensure_work_pool
from medperf.campaign.cells import CellStatus
from medperf.campaign.continuous import site_benchmarks
from medperf.campaign.dispatch import dispatch_campaign
from medperf.campaign.matrix import StatusMatrix, build_matrix
from medperf.campaign.prefect_runs import latest_runs
from medperf.campaign.run_tags import batch_tags
from medperf.campaign.snapshot import load_snapshot
from medperf.demo.stack_world import StackWorld, stack_world
from medperf.schemas import ResultStatus
from medperf.settings import SiteSettings

pytestmark = [pytest.mark.prefect, pytest.mark.postgres, pytest.mark.s3]
SUFFIX = str(os.getpid() % 10000)


class World(StackWorld):
    """The committee, three sites with prepared, associated datasets, and the benchmark id."""

    def site(self, name: str) -> Site:
        """A site by its short name (a, b, c)."""
        return next(s for s in self.sites if s.name == f"site-{name}-{SUFFIX}")

    def matrix(self) -> StatusMatrix:
        """The status matrix as the benchmark owner sees it."""
        return build_matrix(load_snapshot(self.committee.client, self.benchmark_id), latest_runs(self.benchmark_id))


@pytest.fixture(scope="module")
def world(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Three sites up (pool, deployments, worker), each with a dataset prepared on its pool and associated."""
    names = [f"site-{letter}-{SUFFIX}" for letter in "abc"]
    with stack_world(stack, tmp_path_factory.mktemp("campaign"), names, SUFFIX) as built:
        yield World(built.committee, built.sites, built.benchmark_id, built.root)


def reference_model(world: World) -> int:
    """The benchmark's reference model id."""
    return world.committee.client.benchmarks.get(world.benchmark_id).reference_model_id


def _cells(matrix: StatusMatrix, site: Site) -> set[CellStatus]:
    return {matrix.cell(model_id, site.name) for model_id, _ in matrix.models}


def test_campaign_reaches_every_site_and_a_late_worker_completes_late(world: World) -> None:
    a, b, c = world.site("a"), world.site("b"), world.site("c")
    c.down()  # site-c's worker is off when the campaign starts
    challenger = world.committee.register_model(threshold=12)
    world.committee.associate_model(challenger)

    dispatched = dispatch_campaign(load_snapshot(world.committee.client, world.benchmark_id))
    assert {(d.pair.model_id, d.pair.site) for d in dispatched} == {
        (model_id, site.name) for model_id in (challenger.id, reference_model(world)) for site in (a, b, c)
    }
    run = read_run(dispatched[0].flow_run_id)
    assert set(run.parameters) == {"benchmark_id", "model_id", "dataset_id"}  # no site data travels

    def a_b_waiting_c_late() -> StatusMatrix | None:
        matrix = world.matrix()
        ok = _cells(matrix, a) == _cells(matrix, b) == {CellStatus.AWAITING_APPROVAL}
        return matrix if ok and _cells(matrix, c) == {CellStatus.LATE} else None

    poll(a_b_waiting_c_late, "site-a and site-b to suspend for approval while site-c's runs are Late")

    ab_runs = [d.flow_run_id for d in dispatched if d.pair.site != c.name]
    finish_with_approvals([a, b], ab_runs, "site-a and site-b to finish after approval")
    matrix = world.matrix()
    assert _cells(matrix, a) == _cells(matrix, b) == {CellStatus.DONE}
    assert _cells(matrix, c) == {CellStatus.LATE}  # the down site did not block the others

    c.start_worker()
    c_runs = [d.flow_run_id for d in dispatched if d.pair.site == c.name]
    finish_with_approvals([c], c_runs, "site-c to complete once its worker is back")
    matrix = world.matrix()
    assert set(matrix.cells.values()) == {CellStatus.DONE}
    finalized = world.committee.client.results.list(benchmark_id=world.benchmark_id, status=ResultStatus.FINALIZED)
    assert {(r.model_id, r.dataset_id) for r in finalized.items} == set(matrix.pairs)


def test_status_command_prints_the_matrix_and_exports_csv(world: World, tmp_path: Path) -> None:
    from medperf.cli import campaign_commands, main

    cli = typer.Typer()
    cli.add_typer(main.app)
    home = world.committee.profile_home(tmp_path / "committee-home")
    registered = {group.typer_instance.info.name for group in main.app.registered_groups if group.typer_instance}
    if "consent" not in registered:
        main.app.add_typer(campaign_commands.app)
    target = tmp_path / "status.csv"
    result = CliRunner().invoke(
        main.app, ["benchmark", "status", "-b", str(world.benchmark_id), "--csv", str(target)],
        env={"MEDPERF_HOME": str(home)},
    )
    assert result.exit_code == 0, result.output
    assert "done" in result.output
    header, *rows = target.read_text().splitlines()
    assert header.split(",")[2:] == sorted(site.name for site in world.sites)
    assert rows and all(row.split(",")[2:] == ["done"] * 3 for row in rows)


def test_second_campaign_runs_only_the_new_models_pairs(world: World) -> None:
    newcomer = world.committee.register_model(threshold=8)
    world.committee.associate_model(newcomer)
    dispatched = dispatch_campaign(load_snapshot(world.committee.client, world.benchmark_id))
    assert sorted((d.pair.model_id, d.pair.site) for d in dispatched) == sorted(
        (newcomer.id, site.name) for site in world.sites
    )
    finish_with_approvals(world.sites, [d.flow_run_id for d in dispatched], "the new model's three evaluations")
    assert set(world.matrix().cells.values()) == {CellStatus.DONE}


def test_scheduled_continuous_evaluation_picks_up_a_newly_associated_model(world: World, tmp_path: Path) -> None:
    a = world.site("a")
    assert site_benchmarks(a.owner, a.name) == [world.benchmark_id]
    # The benchmark's model list is visible to its owner: the continuous evaluation of site-a runs on the
    # committee's pool with the committee's identity (see the report: the site's own identity would need
    # the registry to show approved model associations to data owners of the benchmark).
    committee_home = world.committee.profile_home(tmp_path / "committee-home")
    pool = f"committee-{SUFFIX}"
    ensure_work_pool(pool, "process", 2)
    committee_plan = SitePlan(SiteSettings(name=pool, data_root=tmp_path))
    start_worker(committee_plan, env={"MEDPERF_HOME": str(committee_home)}, home=committee_home)
    try:
        late_model = world.committee.register_model(threshold=14)
        world.committee.associate_model(late_model)
        a.up(worker=False, continuous_interval=interval(10), continuous_pool=pool)
        # one batch run for the benchmark's stale pairs at site-a (only the late model's here)
        tags = batch_tags(world.benchmark_id, [(late_model.id, a.dataset_id or 0)], "medperf-continuous")

        def continuous_run() -> str | None:
            with get_client(sync_client=True) as client:
                runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=tags)))
            return str(runs[0].id) if runs else None

        run_id = poll(continuous_run, "a scheduled continuous evaluation to dispatch the new model at site-a")
        finish_with_approvals([a], [run_id], "the continuous evaluation's run to finish after approval")
        results = world.committee.client.results.list(
            benchmark_id=world.benchmark_id, model_id=late_model.id, status=ResultStatus.FINALIZED
        )
        assert [r.dataset_id for r in results.items] == [a.dataset_id]
    finally:
        a.up(worker=False, continuous_paused=True)
        stop_worker(pool, home=committee_home)
