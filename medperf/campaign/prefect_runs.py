"""Reading the Prefect side of a campaign: the latest evaluation run of each (model, dataset) pair."""

from collections.abc import Iterable
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, FlowRunFilterTags
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.sorting import FlowRunSort

from medperf.campaign.cells import RunState
from medperf.campaign.run_tags import benchmark_tag, parse_row_outcomes, parse_run_pairs
from medperf.site.approval_claims import DUPLICATE_STATE
from medperf.site.approval_form import REJECTED_STATE

PAGE = 200


def _state(run: FlowRun) -> RunState:
    state_type = run.state.type.value if run.state else "PENDING"
    state_name = (run.state.name or state_type) if run.state else "Pending"
    return RunState(str(run.id), state_type, state_name, run.created)


ROW_STATES = {"rejected": ("CANCELLED", REJECTED_STATE), "failed": ("FAILED", "Failed")}


def pair_state(run: FlowRun, pair: tuple[int, int]) -> RunState:
    """The run's state, or, for a pair of a site's batch run the owner rejected or that failed, that row's."""
    outcome = parse_row_outcomes(list(run.tags)).get(pair)
    if outcome is None:
        return _state(run)
    state_type, state_name = ROW_STATES[outcome]
    return RunState(str(run.id), state_type, state_name, run.created)


def _duplicate(run: FlowRun) -> bool:
    """A run that found its pair's payload already asked for on the site: it did nothing, so it never
    stands for its pair (the run that asks does)."""
    return run.state is not None and run.state.is_cancelled() and run.state.name == DUPLICATE_STATE


def latest_runs(benchmark_id: int) -> dict[tuple[int, int], RunState]:
    """{(model_id, dataset_id): state of its newest tagged run} for one benchmark; duplicates left out."""
    runs: list[FlowRun] = []
    with get_client(sync_client=True) as client:
        offset = 0
        while True:
            page = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[benchmark_tag(benchmark_id)])),
                sort=FlowRunSort.ID_DESC,
                limit=PAGE,
                offset=offset,
            )
            runs.extend(page)
            offset += len(page)
            if len(page) < PAGE:
                break
    latest: dict[tuple[int, int], FlowRun] = {}
    for run in runs:
        if _duplicate(run):
            continue
        for key in parse_run_pairs(list(run.tags)):  # one pair, or every pair of a site's campaign run
            known = latest.get(key)
            if known is None or (run.created and known.created and run.created > known.created):
                latest[key] = run
    return {key: pair_state(run, key) for key, run in latest.items()}


def run_states(flow_run_ids: Iterable[str]) -> dict[str, RunState]:
    """The current state of the given runs, by id."""
    ids = [UUID(run_id) for run_id in flow_run_ids]
    if not ids:
        return {}
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)), limit=len(ids))
    return {str(run.id): _state(run) for run in runs}


def in_flight(runs: dict[tuple[int, int], RunState]) -> set[tuple[int, int]]:
    """Pairs whose newest run is not final yet (queued, late, running or awaiting approval)."""
    final = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
    return {pair for pair, run in runs.items() if run.state_type.upper() not in final}
