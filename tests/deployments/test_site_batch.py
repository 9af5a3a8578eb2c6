"""A campaign as one flow run per site (`medperf benchmark run --per-site`) on the real stack.

Two sites, three models: the dispatch makes one evaluate_batch run per site; each data owner is asked once,
with a table of the three results; one approves all, the other rejects row 2. Each approved row is a
FINALIZED result of its own, the rejected one is never uploaded and shows as rejected in the campaign's
matrix, and the next campaign dispatches only that pair again.
"""

import os
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from campaign_world import poll, read_run
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags, LogFilter, LogFilterFlowRunId

from medperf.campaign.cells import CellStatus
from medperf.campaign.dispatch import dispatch_with_retry
from medperf.campaign.matrix import build_matrix
from medperf.campaign.prefect_runs import latest_runs
from medperf.campaign.run_tags import BATCH_TAG, benchmark_tag
from medperf.campaign.snapshot import load_snapshot
from medperf.demo.stack_world import StackWorld, stack_world
from medperf.schemas import ResultStatus
from medperf.site.outbox import Outbox
from medperf.site.run_store import DECISION, RunStore

pytestmark = [pytest.mark.prefect, pytest.mark.postgres, pytest.mark.s3]
SUFFIX = str(os.getpid() % 10000)


class World(StackWorld):
    """The committee, two sites with prepared, associated datasets, three associated models."""

    def campaign(self) -> Any:
        """`medperf benchmark run --per-site`'s dispatch."""
        client = self.committee.client
        return dispatch_with_retry(lambda: load_snapshot(client, self.benchmark_id), self.benchmark_id, per_site=True)

    def finalized(self) -> set[tuple[int, int]]:
        """(model, dataset) of every FINALIZED result of the benchmark."""
        page = self.committee.client.results.list(benchmark_id=self.benchmark_id, status=ResultStatus.FINALIZED,
                                                  limit=100)
        return {(result.model_id, result.dataset_id) for result in page.items}


@pytest.fixture(scope="module")
def world(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    names = [f"batch-{letter}-{SUFFIX}" for letter in "ab"]
    with stack_world(stack, tmp_path_factory.mktemp("batch"), names, f"batch-{SUFFIX}") as built:
        for threshold in (6, 14):
            model = built.committee.register_model(threshold)
            built.committee.associate_model(model)
        yield World(built.committee, built.sites, built.benchmark_id, built.root)


def _batch_runs(benchmark_id: int) -> list[str]:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[benchmark_tag(benchmark_id), BATCH_TAG]))
        )
    return [str(run.id) for run in runs]


def _log_lines(run_id: str) -> list[str]:
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[UUID(run_id)])))
    return [log.message for log in logs]


def _waiting(run_id: str) -> bool:
    state = read_run(run_id).state
    return state is not None and state.is_paused()


def test_a_per_site_campaign_asks_each_owner_once_and_uploads_the_rows_they_approve(world: World) -> None:
    site_a, site_b = world.sites
    dispatched = world.campaign()
    assert len(dispatched.created) == 6  # 3 models x 2 datasets
    run_of = {site.name: {d.flow_run_id for d in dispatched.created if d.pair.site == site.name}
              for site in world.sites}
    assert all(len(runs) == 1 for runs in run_of.values()), run_of  # ONE run per site
    run_a, run_b = (next(iter(run_of[site.name])) for site in world.sites)
    assert sorted(_batch_runs(world.benchmark_id)) == sorted([run_a, run_b])
    assert world.campaign().created == [], "both site runs are in flight: nothing is dispatched twice"

    poll(lambda: _waiting(run_a) and _waiting(run_b), "both site runs to wait for their owner", deadline_s=600)
    told = "evaluating 3 pair(s), 2 at a time"
    for run_id in (run_a, run_b):  # the pairs of a site's run share its pool's 2 slots (DEFAULT_POOL_CONCURRENCY)
        # the run's logs reach the server in batches, possibly after it paused: wait for the line, do not sample once
        poll(lambda rid=run_id: any(line.startswith(told) for line in _log_lines(rid)) or None,
             "the run's log to tell how many pairs it evaluates at a time", deadline_s=30)
    asked = {}
    for site, run_id in ((site_a, run_a), (site_b, run_b)):
        asked[run_id] = [p for p in RunStore(site.data_root).approvals() if p.flow_run_id == run_id]
        assert len(asked[run_id]) == 1 and asked[run_id][0].kind == "results"  # one form for the whole table
        assert len(asked[run_id][0].payload["rows"]) == 3
    rows_b = asked[run_b][0].payload["rows"]
    rejected = (rows_b[1]["model_id"], rows_b[1]["dataset_id"])

    poll(lambda: site_a.approve_waiting() or None, "site a's owner to approve all", deadline_s=120)
    poll(lambda: site_b.approve_waiting(reject_rows="2") or None, "site b's owner to reject row 2", deadline_s=120)
    for run_id in (run_a, run_b):
        state = poll(lambda rid=run_id: (s := read_run(rid).state) is not None and s.is_final() and s, "the end")
        assert state.is_completed(), (state.name, state.message)

    snapshot = load_snapshot(world.committee.client, world.benchmark_id)
    every = {(m, d) for m in snapshot.models for d in snapshot.datasets}
    assert world.finalized() == every - {rejected}  # each approved row on its own; the rejected one never sent
    decision = RunStore(site_b.data_root).read(run_b, DECISION)
    assert decision is not None and decision["decision"] == "approved" and "rows rejected: 2" in decision["comment"]
    sent_b = [entry for entry in Outbox(site_b.data_root).entries() if entry.flow_run_id == run_b]
    assert len(sent_b) == 2 and all(entry.status == "sent" for entry in sent_b)

    matrix = build_matrix(snapshot, latest_runs(world.benchmark_id))
    assert matrix.cell(rejected[0], site_b.name) is CellStatus.REJECTED
    assert matrix.cell(rejected[0], site_a.name) is CellStatus.DONE

    again = world.campaign()  # only the rejected pair has no result: one new run, at site b
    assert [(d.pair.model_id, d.pair.dataset_id) for d in again.created] == [rejected]
