"""Runs whose site process died, seen from the Prefect server: RUNNING (or CANCELLING) yet silent for minutes.

Every flow-run process sends Prefect a heartbeat event (`prefect.flow-run.heartbeat`; sites send one every
30 s, Prefect's default is 180 s). A run that stays RUNNING while no heartbeat arrives for `stale_after_s`
lost its process (a site crash, a SIGKILL of the worker and its runs): the campaign marks it CRASHED, which
frees its slot in the site's pool and makes its pair dispatchable again. A paused or suspended run (waiting
for approval) sends no heartbeat and is never judged here.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun
from prefect.events.filters import (
    EventFilter,
    EventNameFilter,
    EventOccurredFilter,
    EventOrder,
    EventResourceFilter,
)
from prefect.states import Crashed

from medperf.campaign.cells import RunState

HEARTBEAT = "prefect.flow-run.heartbeat"
STALE_RUN_S = 600.0  # > 3 x Prefect's default heartbeat period, so a site on the default is never misjudged
WATCHED_STATES = frozenset({"RUNNING", "CANCELLING"})


@dataclass(frozen=True)
class SilentRun:
    """A run the campaign marked CRASHED, and how long it had been silent."""

    flow_run_id: str
    state_type: str
    silent_for_s: float


def last_sign_of_life(client: SyncPrefectClient, run: FlowRun) -> datetime | None:
    """The newest heartbeat of the run since it entered its state, else the time it entered it."""
    entered = run.state.timestamp if run.state else None
    events = client.read_events(
        filter=EventFilter(
            occurred=EventOccurredFilter(since=entered or run.created or datetime.now(UTC), until=datetime.now(UTC)),
            event=EventNameFilter(name=[HEARTBEAT]),
            resource=EventResourceFilter(id=[f"prefect.flow-run.{run.id}"]),
            order=EventOrder.DESC,
        ),
        limit=1,
    )
    times = [event.occurred for event in events.events] + ([entered] if entered else [])
    return max(times) if times else None


def crash_silent_runs(
    runs: dict[tuple[int, int], RunState], *, stale_after_s: float = STALE_RUN_S, now: datetime | None = None
) -> list[SilentRun]:
    """Mark CRASHED (forced) each RUNNING/CANCELLING run with no heartbeat for stale_after_s seconds."""
    watched = [run.flow_run_id for run in runs.values() if run.state_type.upper() in WATCHED_STATES]
    if not watched:
        return []
    crashed = []
    with get_client(sync_client=True) as client:
        flow_runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(run_id) for run_id in watched])),
            limit=len(watched),
        )
        for run in flow_runs:
            state_type = run.state.type.value if run.state else ""
            last = last_sign_of_life(client, run)
            if state_type not in WATCHED_STATES or last is None:
                continue
            silent_for = ((now or datetime.now(UTC)) - last).total_seconds()
            if silent_for < stale_after_s:
                continue
            message = (
                f"no heartbeat from the site for {silent_for:.0f} s: its process died (site crash or kill); "
                "the campaign dispatches the pair again"
            )
            client.set_flow_run_state(run.id, Crashed(message=message), force=True)
            crashed.append(SilentRun(str(run.id), state_type, silent_for))
    return crashed


def without(runs: dict[tuple[int, int], RunState], crashed: Collection[SilentRun]) -> dict[tuple[int, int], RunState]:
    """The runs, with those just crashed shown as CRASHED."""
    ids = {silent.flow_run_id for silent in crashed}
    return {
        pair: RunState(run.flow_run_id, "CRASHED", "Crashed", run.created) if run.flow_run_id in ids else run
        for pair, run in runs.items()
    }
