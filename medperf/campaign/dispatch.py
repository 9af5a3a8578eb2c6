"""Dispatching evaluations: run_deployment(timeout=0) on the evaluate_model deployment of each dataset's site."""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound

from medperf.campaign.deployment_names import EVALUATE_FLOW, deployment_name
from medperf.campaign.pairs import Pair, PlannedRun, pairs_to_run
from medperf.campaign.prefect_runs import in_flight, latest_runs
from medperf.campaign.run_tags import run_tags
from medperf.campaign.snapshot import CampaignSnapshot
from medperf.errors import ConfigError


@dataclass(frozen=True)
class DispatchedRun:
    """A pair and the Prefect flow run created for it."""

    pair: Pair
    flow_run_id: str
    reason: str


def evaluation_parameters(benchmark_id: int, pair: Pair, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Ids only: nothing of the site's data is named in the parameters that travel through Prefect."""
    return {"benchmark_id": benchmark_id, "model_id": pair.model_id, "dataset_id": pair.dataset_id, **(extra or {})}


def dispatch_pair(
    benchmark_id: int, pair: Pair, *, extra_parameters: dict[str, Any] | None = None, tags: Collection[str] = ()
) -> str:
    """Create the flow run on the site's pool and return at once (the site's worker picks it up when it polls)."""
    name = deployment_name(EVALUATE_FLOW, pair.site)
    try:
        run = run_deployment(
            name,
            parameters=evaluation_parameters(benchmark_id, pair, extra_parameters),
            timeout=0,
            tags=run_tags(benchmark_id, pair.model_id, pair.dataset_id, *tags),
            as_subflow=False,
        )
    except ObjectNotFound as err:
        raise ConfigError(
            f"site {pair.site!r} has no deployment {name!r} on the Prefect server; "
            f"the site must run `medperf site up --site {pair.site}`"
        ) from err
    if not isinstance(run, FlowRun):  # only an async caller gets a coroutine; this module is sync
        raise TypeError("dispatch_pair must be called from synchronous code")
    return str(run.id)


def dispatch_campaign(
    snapshot: CampaignSnapshot,
    *,
    models: Collection[int] = (),
    datasets: Collection[int] = (),
    extra_tags: Collection[str] = (),
) -> list[DispatchedRun]:
    """One run per approved pair without a current result and without a run already in flight."""
    busy = in_flight(latest_runs(snapshot.benchmark.id))
    planned: list[PlannedRun] = pairs_to_run(snapshot, models=models, datasets=datasets, in_flight=busy)
    return [
        DispatchedRun(p.pair, dispatch_pair(snapshot.benchmark.id, p.pair, tags=extra_tags), p.reason.value)
        for p in planned
    ]
