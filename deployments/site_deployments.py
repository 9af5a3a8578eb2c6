"""Deploy a site's flows on its work pool: prepare, evaluate (one pair or a batch), continuous evaluation, outbox."""

import contextlib
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from prefect import Flow
from prefect.client.schemas.objects import WorkPool
from prefect.schedules import Schedule

from deployments.site_plan import SitePlan
from deployments.work_pool import ensure_work_pool
from medperf.campaign.deployment_names import (
    BATCH_FLOW,
    CONTINUOUS_FLOW,
    EVALUATE_FLOW,
    OUTBOX_FLOW,
    PREPARE_FLOW,
    deployment_name,
)

ENTRYPOINTS = {
    PREPARE_FLOW: "flows/prepare_dataset.py:prepare_dataset",
    EVALUATE_FLOW: "flows/evaluate_model.py:evaluate_model",
    BATCH_FLOW: "flows/evaluate_batch.py:evaluate_batch",
    CONTINUOUS_FLOW: "flows/continuous_evaluation.py:continuous_evaluation",
    OUTBOX_FLOW: "flows/deliver_outbox.py:deliver_outbox",
}
OUTBOX_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class SiteDeployments:
    """What `deploy_site` created or updated: the pool and each deployment's full name and id."""

    pool: WorkPool
    deployments: dict[str, UUID]


def _schedule(plan: SitePlan) -> Schedule | None:
    if plan.continuous_interval is not None:
        return Schedule(interval=plan.continuous_interval)
    if plan.continuous_cron:
        return Schedule(cron=plan.continuous_cron, timezone=plan.timezone)
    return None


def _deploy(
    plan: SitePlan,
    flow_name: str,
    pool: str,
    *,
    parameters: dict[str, Any] | None = None,
    schedules: list[Schedule] | None = None,
    paused: bool | None = None,
    description: str | None = None,
) -> UUID:
    source_flow = Flow.from_source(source=str(plan.repo_dir), entrypoint=ENTRYPOINTS[flow_name])
    if not isinstance(source_flow, Flow):  # only an async caller gets a coroutine; this module is sync
        raise TypeError("deploy_site must be called from synchronous code")
    with contextlib.redirect_stdout(io.StringIO()):  # Prefect prints a table per deployment; we print our own
        deployment_id = source_flow.deploy(
            name=plan.settings.name,
            work_pool_name=pool,
            job_variables=plan.job_variables(),
            tags=[f"medperf-site:{plan.settings.name}"],
            build=False,
            push=False,
            print_next_steps=False,
            ignore_warnings=True,
            parameters=parameters,
            schedules=schedules,
            paused=paused,
            description=description,
        )
    return UUID(str(deployment_id))


def deploy_site(plan: SitePlan) -> SiteDeployments:
    """Create or update the site's pool (with its concurrency limit) and its five deployments."""
    pool = ensure_work_pool(plan.pool, plan.pool_type, plan.pool_concurrency)
    site = plan.settings.name
    ids = {
        deployment_name(PREPARE_FLOW, site): _deploy(
            plan,
            PREPARE_FLOW,
            plan.pool,
            description=f"Prepare raw data at {site} for a benchmark, check and summarise it, and register the "
            "dataset once the data owner approves its statistics (the data stays at the site)",
        ),
        deployment_name(EVALUATE_FLOW, site): _deploy(
            plan,
            EVALUATE_FLOW,
            plan.pool,
            description=f"Run a model on a dataset prepared at {site}, evaluate it, and upload the metrics once "
            "the data owner approves them (predictions and labels stay at the site)",
        ),
        deployment_name(BATCH_FLOW, site): _deploy(
            plan,
            BATCH_FLOW,
            plan.pool,
            description=f"A campaign's pairs at {site} in one run: evaluate each, ask the data owner once with a "
            "table of every result (approve all or reject rows), upload each approved row",
        ),
    }
    schedule = _schedule(plan)
    ids[deployment_name(CONTINUOUS_FLOW, site)] = _deploy(
        plan,
        CONTINUOUS_FLOW,
        plan.continuous_pool or plan.pool,
        parameters={"site": site},
        schedules=[schedule] if schedule is not None else None,
        paused=plan.continuous_paused,
        description=f"Scheduled at {site}: start an evaluation for every (model, dataset) pair whose model or "
        "evaluator changed since its last result",
    )
    ids[deployment_name(OUTBOX_FLOW, site)] = _deploy(
        plan,
        OUTBOX_FLOW,
        plan.pool,
        schedules=[Schedule(interval=OUTBOX_EVERY)],
        description=f"Every 5 minutes at {site}: send the uploads the data owner approved while the registry "
        "was unreachable (nothing is asked; each approved payload is sent once)",
    )
    return SiteDeployments(pool, ids)
