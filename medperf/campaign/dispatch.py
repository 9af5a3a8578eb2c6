"""Dispatching evaluations: run_deployment(timeout=0) on the evaluate_model deployment of each dataset's site."""

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound

from medperf.campaign.cells import RunState
from medperf.campaign.deployment_names import BATCH_FLOW, EVALUATE_FLOW, deployment_name
from medperf.campaign.pairs import Pair, PlannedRun, pairs_to_run
from medperf.campaign.prefect_runs import in_flight, latest_runs
from medperf.campaign.run_tags import batch_tags, run_tags
from medperf.campaign.silent_runs import STALE_RUN_S, SilentRun, crash_silent_runs, without
from medperf.campaign.snapshot import CampaignSnapshot
from medperf.errors import ConfigError, MedPerfError
from medperf.retry_policy import PREFECT_CALLS, RetryPolicy
from medperf.site.payloads import payload_sha256


@dataclass(frozen=True)
class DispatchedRun:
    """A pair and the Prefect flow run created for it."""

    pair: Pair
    flow_run_id: str
    reason: str


def evaluation_parameters(benchmark_id: int, pair: Pair, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Ids only: nothing of the site's data is named in the parameters that travel through Prefect."""
    return {"benchmark_id": benchmark_id, "model_id": pair.model_id, "dataset_id": pair.dataset_id, **(extra or {})}


def dispatch_key(benchmark_id: int, pair: Pair, after_run: str | None) -> str:
    """The idempotency key of the pair's next run: the same for every dispatcher that saw the same newest run.

    Two `medperf benchmark run` at once, or a retry after a create whose answer was lost, therefore get the
    one flow run Prefect made for the first of them; a run that ended (failed, rejected, crashed) moves the
    key on, so the pair can be dispatched again.
    """
    return f"medperf-evaluate/{benchmark_id}/{pair.model_id}/{pair.dataset_id}/after/{after_run or 'none'}"


def _create_run(
    name: str, site: str, parameters: dict[str, Any], tags: Collection[str], idempotency_key: str | None
) -> str:
    try:
        run = run_deployment(name, parameters=parameters, timeout=0, tags=list(tags),
                             idempotency_key=idempotency_key, as_subflow=False)
    except ObjectNotFound as err:
        raise ConfigError(
            f"site {site!r} has no deployment {name!r} on the Prefect server; "
            f"the site must run `medperf site up --site {site}`"
        ) from err
    if not isinstance(run, FlowRun):  # only an async caller gets a coroutine; this module is sync
        raise TypeError("dispatch must be called from synchronous code")
    return str(run.id)


def dispatch_pair(
    benchmark_id: int,
    pair: Pair,
    *,
    extra_parameters: dict[str, Any] | None = None,
    tags: Collection[str] = (),
    idempotency_key: str | None = None,
) -> str:
    """Create the flow run on the site's pool and return at once (the site's worker picks it up when it polls).

    With an idempotency_key, a second create with the same key returns the run the first one made.
    """
    parameters = evaluation_parameters(benchmark_id, pair, extra_parameters)
    tags = run_tags(benchmark_id, pair.model_id, pair.dataset_id, *tags)
    return _create_run(deployment_name(EVALUATE_FLOW, pair.site), pair.site, parameters, tags, idempotency_key)


def dispatch_site_batch(
    benchmark_id: int,
    site: str,
    pairs: list[Pair],
    *,
    tags: Collection[str] = (),
    idempotency_key: str | None = None,
    extra_parameters: dict[str, Any] | None = None,
) -> str:
    """One evaluate_batch run on the site's pool for all these pairs of the site (one approval for all)."""
    ids = [(pair.model_id, pair.dataset_id) for pair in sorted(pairs)]
    parameters = {"benchmark_id": benchmark_id, "pairs": [list(i) for i in ids], **(extra_parameters or {})}
    return _create_run(deployment_name(BATCH_FLOW, site), site, parameters, batch_tags(benchmark_id, ids, *tags),
                       idempotency_key)


def dispatch_batches(
    benchmark_id: int,
    planned: list[PlannedRun],
    newest: Mapping[Pair, RunState | None],
    *,
    tags: Collection[str] = (),
    extra_parameters: dict[str, Any] | None = None,
) -> list[DispatchedRun]:
    """One evaluate_batch run per site for its planned pairs, each listed once per pair it covers.

    The idempotency key is made of the pairs and the newest run each had, so dispatchers that saw the same
    runs share one batch, and a batch that ended lets its pairs be dispatched again.
    """
    created: list[DispatchedRun] = []
    for site in sorted({p.pair.site for p in planned}):
        batch = [p for p in planned if p.pair.site == site]
        seen = [(p.pair.model_id, p.pair.dataset_id, (run := newest.get(p.pair)) and run.flow_run_id) for p in batch]
        parts = [*sorted(seen, key=str), sorted((extra_parameters or {}).items())]
        key = f"medperf-batch/{benchmark_id}/{site}/{payload_sha256(parts)[:32]}"
        run_id = dispatch_site_batch(benchmark_id, site, [p.pair for p in batch], tags=tags, idempotency_key=key,
                                     extra_parameters=extra_parameters)
        created.extend(DispatchedRun(p.pair, run_id, p.reason.value) for p in batch)
    return created


def dispatch_campaign(
    snapshot: CampaignSnapshot,
    *,
    models: Collection[int] = (),
    datasets: Collection[int] = (),
    extra_tags: Collection[str] = (),
    stale_after_s: float = STALE_RUN_S,
    created: list[DispatchedRun] | None = None,
    crashed: list[SilentRun] | None = None,
    per_site: bool = False,
) -> list[DispatchedRun]:
    """One run per approved pair without a current result and without a live run in flight.

    Each run is created with dispatch_key, so dispatchers racing on the same pair share one run. A RUNNING
    run silent for stale_after_s (its site process died) is marked CRASHED first and its pair dispatched
    again. Each run is appended to `created` as soon as it exists (so a caller still knows them
    when a later pair fails), and each crashed run to `crashed`. With per_site, each site gets ONE
    evaluate_batch run for all its pairs (one approval), listed once per pair it covers.
    """
    created = [] if created is None else created
    runs = latest_runs(snapshot.benchmark.id)
    silent = crash_silent_runs(runs, stale_after_s=stale_after_s)
    if crashed is not None:
        crashed.extend(silent)
    busy = in_flight(without(runs, silent))
    planned: list[PlannedRun] = pairs_to_run(snapshot, models=models, datasets=datasets, in_flight=busy)
    start = len(created)
    newest = {p.pair: runs.get((p.pair.model_id, p.pair.dataset_id)) for p in planned}
    if per_site:
        for site in sorted({p.pair.site for p in planned}):  # appended site by site: a later failure keeps these
            created.extend(dispatch_batches(snapshot.benchmark.id, [p for p in planned if p.pair.site == site],
                                            newest, tags=extra_tags))
        return created[start:]
    for p in planned:
        known = newest[p.pair]
        key = dispatch_key(snapshot.benchmark.id, p.pair, known.flow_run_id if known else None)
        run_id = dispatch_pair(snapshot.benchmark.id, p.pair, tags=extra_tags, idempotency_key=key)
        created.append(DispatchedRun(p.pair, run_id, p.reason.value))
    return created[start:]


@dataclass(frozen=True)
class CampaignDispatch:
    """What a dispatch did: the runs it created, the silent runs it crashed, and every run left to follow."""

    created: list[DispatchedRun]
    crashed: list[SilentRun]
    in_flight: list[str]  # the newest run of each of the benchmark's pairs not final yet (created or earlier)


class DispatchInterrupted(MedPerfError):
    """The dispatch stopped on an error that retries did not cure; `created` are the runs made before it."""

    def __init__(self, cause: BaseException, created: list[DispatchedRun]) -> None:
        what = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        super().__init__(
            f"the dispatch stopped after creating {len(created)} run(s): {what}; run it again: pairs with a run "
            "in flight are not dispatched twice"
        )
        self.cause = cause
        self.created = created


def dispatch_with_retry(
    load_snapshot: Callable[[], CampaignSnapshot],
    benchmark_id: int,
    *,
    models: Collection[int] = (),
    datasets: Collection[int] = (),
    extra_tags: Collection[str] = (),
    policy: RetryPolicy = PREFECT_CALLS,
    stale_after_s: float = STALE_RUN_S,
    per_site: bool = False,
) -> CampaignDispatch:
    """dispatch_campaign, tried again (policy: 502/503/504, timeouts, dropped connections, a locked SQLite)
    on a fresh snapshot and a fresh view of the runs in flight, so a retry dispatches only the pairs the
    failed attempt did not reach; then every run of the benchmark still in flight, to follow.

    A MedPerfError of the caller's making (an unknown model, a site without deployment) before any run was
    created is raised as it is; any other final error is a DispatchInterrupted naming the runs created.
    """
    created: list[DispatchedRun] = []
    crashed: list[SilentRun] = []

    def attempt() -> None:
        dispatch_campaign(load_snapshot(), models=models, datasets=datasets, extra_tags=extra_tags,
                          stale_after_s=stale_after_s, created=created, crashed=crashed, per_site=per_site)

    try:
        policy.call(attempt)
        runs = policy.call(lambda: latest_runs(benchmark_id))
    except MedPerfError as err:
        if not created:
            raise
        raise DispatchInterrupted(err, created) from err
    except Exception as err:
        raise DispatchInterrupted(err, created) from err
    following = sorted({runs[pair].flow_run_id for pair in in_flight(runs)})  # a site's batch run covers several
    return CampaignDispatch(created, crashed, following)
