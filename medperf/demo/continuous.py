"""The demo's continuous evaluation: each site's schedule is switched on and the demo waits to see it fire."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from medperf.campaign.deployment_names import CONTINUOUS_FLOW, deployment_name
from medperf.errors import ConfigError

EVERY = timedelta(hours=1)  # what a kept demo stack then does: re-check every hour
FIRST_IN = timedelta(seconds=10)


@dataclass(frozen=True)
class Firing:
    """A scheduled continuous-evaluation run that ran at a site."""

    site: str
    run_name: str
    scheduled_for: datetime
    state: str


def switch_on_schedules(sites: list[str]) -> dict[str, UUID]:
    """Give each site's continuous_evaluation deployment an hourly schedule whose first run is due in seconds."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.schedules import SCHEDULE_TYPES, IntervalSchedule

    anchor = datetime.now(UTC) + FIRST_IN
    ids: dict[str, UUID] = {}
    with get_client(sync_client=True) as client:
        for site in sites:
            deployment = client.read_deployment_by_name(deployment_name(CONTINUOUS_FLOW, site))
            for old in client.read_deployment_schedules(deployment.id):
                client.delete_deployment_schedule(deployment.id, old.id)
            schedule: SCHEDULE_TYPES = IntervalSchedule(interval=EVERY, anchor_date=anchor)
            client.create_deployment_schedules(deployment.id, [(schedule, True)])
            ids[site] = deployment.id
    return ids


def wait_for_firings(deployments: dict[str, UUID], deadline_s: float) -> list[Firing]:
    """Block until each site's first scheduled run is final; what ran, or ConfigError naming the silent sites."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId

    deadline = time.monotonic() + deadline_s
    fired: dict[str, Firing] = {}
    while len(fired) < len(deployments):
        with get_client(sync_client=True) as client:
            for site, deployment_id in deployments.items():
                runs = client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]))
                )
                done = [r for r in runs if r.auto_scheduled and r.state is not None and r.state.is_final()]
                if done and site not in fired:
                    run = done[0]
                    when = run.expected_start_time or run.created or datetime.now(UTC)
                    fired[site] = Firing(site, run.name, when, str(run.state.name if run.state else "?"))
        if len(fired) < len(deployments):
            if time.monotonic() > deadline:
                silent = sorted(set(deployments) - set(fired))
                raise ConfigError(f"the continuous-evaluation schedule did not fire at {', '.join(silent)} "
                                  f"within {deadline_s:.0f} s; check the Prefect server's scheduler and the workers")
            time.sleep(1.0)
    return [fired[site] for site in deployments]
