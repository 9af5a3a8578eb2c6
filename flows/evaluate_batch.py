"""Flow: a site's part of a campaign in one run: every pending pair evaluated, one approval for all, each row sent."""

import contextvars
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from prefect import flow
from prefect.states import Completed, Failed, State

from medperf.errors import ConfigError

if TYPE_CHECKING:
    from flows.batch_approval import BatchOutcome

ONE_WEEK = "7 days"
PARTLY_FAILED_STATE = "Partly failed"


def _pairs(pairs: list[list[int]]) -> list[tuple[int, int]]:
    found = []
    for item in pairs:
        if len(item) != 2 or not all(isinstance(value, int) for value in item):
            raise ConfigError(f"pairs: {item!r} is not [model_id, dataset_id]; give a list of id pairs")
        found.append((int(item[0]), int(item[1])))
    if not found:
        raise ConfigError("pairs: empty; give at least one [model_id, dataset_id]")
    return sorted(set(found))


def _summary(finalized: dict[tuple[int, int], int], outcome: "BatchOutcome",
             failed: dict[tuple[int, int], str]) -> dict[str, Any]:
    """Ids only: what the run returns (kept on the site: persist_result=False)."""
    sent = {**finalized, **outcome.sent}
    return {
        "finalized": [[m, d, result_id] for (m, d), result_id in sorted(sent.items())],
        "queued": [list(pair) for pair in sorted(outcome.queued)],
        "rejected": [list(pair) for pair in sorted(outcome.rejected)],
        "failed": [list(pair) for pair in sorted({*failed, *outcome.refused})],
    }


@flow(name="evaluate_batch", persist_result=False)
def evaluate_batch(
    benchmark_id: int, pairs: list[list[int]], approval_timeout: str = ONE_WEEK, standing_consent: bool = False
) -> dict[str, Any] | State[Any]:
    """Evaluate every given (model, dataset) pair of this site, then ask the data owner once for all results.

    The form shows one numbered row per result; the owner approves all, rejects some rows, or rejects the
    whole table. Each approved row is uploaded on its own, idempotently (as `evaluate_model` uploads one).
    A pair whose model or evaluator fails is recorded on the site and left out of the table; the others go
    on. Pairs run `batch_parallelism` at a time (the site's setting, else its work pool's concurrency limit cut to
    what fits the machine's memory at the site's memory limit per container).
    Single-pair runs (`medperf execute`, the UI) stay `evaluate_model`.

    Args:
        benchmark_id: The benchmark's id.
        pairs: The pairs to evaluate on this site, as [[model_id, dataset_id], ...].
        approval_timeout: How long to wait for the data owner's answer, e.g. "7 days", "36 hours".
        standing_consent: Upload without asking if the data owner's standing consent covers every row
            (checked by this run on the site; otherwise the owner is asked for the table).
    """
    # The flow-run process imports these after the run is RUNNING, not while it loads this module (dispatch latency).
    from prefect import get_run_logger
    from prefect.runtime import flow_run

    from blocks.data_site import with_operator_edits
    from flows.batch_approval import BatchOutcome, approve_batch_then_send
    from flows.result_compute import ComputedResult, compute_result
    from flows.run_labels import SITE_TAG, label_run
    from flows.site_run import record_failures
    from medperf.campaign.run_tags import batch_tags, row_outcome_tag
    from medperf.durations import parse_duration
    from medperf.errors import MedPerfError
    from medperf.settings import SiteSettings, default_home
    from medperf.site.approval_form import QUEUED_STATE
    from medperf.site.batch_parallelism import plan_parallelism
    from medperf.site.connections import site_registry
    from medperf.site.container_steps import StepFailed
    from medperf.site.liveness import running
    from medperf.site.run_store import RunStore

    settings = with_operator_edits(SiteSettings())
    run_id = str(flow_run.id)
    logger = get_run_logger()
    store = RunStore(settings.data_root)
    with running(settings.data_root, run_id), record_failures(settings, run_id):
        timeout_s = parse_duration(approval_timeout, "approval_timeout")
        wanted = _pairs(pairs)
        with site_registry(default_home()) as registry:
            benchmark = registry.benchmarks.get(benchmark_id)
            models = {m: registry.models.get(m) for m in sorted({m for m, _ in wanted})}
            datasets = {d: registry.datasets.get(d) for d in sorted({d for _, d in wanted})}
        label_run(run_id, f"{settings.name}: evaluate {len(wanted)} pair(s) of {benchmark.name}",
                  batch_tags(benchmark.id, wanted, f"{SITE_TAG}:{settings.name}"))
        plan = plan_parallelism(settings, run_id, len(wanted))
        parallel = plan.pairs_at_once
        logger.info("evaluating %s pair(s), %s at a time (%s)", len(wanted), parallel, plan.reason)

        def compute(pair: tuple[int, int]) -> ComputedResult | int:
            return compute_result(settings, run_id, benchmark, models[pair[0]], datasets[pair[1]], in_batch=True)

        results: list[ComputedResult] = []
        finalized: dict[tuple[int, int], int] = {}
        failed: dict[tuple[int, int], str] = {}
        with ThreadPoolExecutor(parallel, thread_name_prefix="pair") as pool:  # each in a copy of the run's context
            futures = [(pair, pool.submit(contextvars.copy_context().run, compute, pair)) for pair in wanted]
            for (model_id, dataset_id), future in futures:  # in the pairs' order: the form's rows stay stable
                try:
                    computed = future.result()
                except (StepFailed, MedPerfError) as err:  # this pair only; the others go on
                    failed[(model_id, dataset_id)] = str(err).splitlines()[0] if str(err) else type(err).__name__
                    details = ({"exit_code": err.result.exit_code, "log": str(err.result.log_path)}
                               if isinstance(err, StepFailed) else {})
                    store.record_failure(run_id, type(err).__name__, failed[(model_id, dataset_id)], details,
                                         pair=(model_id, dataset_id))  # each failed pair kept, none overwritten
                    logger.warning("model %s on dataset %s failed: %s", model_id, dataset_id,
                                   failed[(model_id, dataset_id)])
                    continue
                if isinstance(computed, int):
                    finalized[(model_id, dataset_id)] = computed
                else:
                    results.append(computed)
        outcome: BatchOutcome | State[Any] = BatchOutcome()
        if results:
            title = f"{len(results)} result(s) of benchmark '{benchmark.name}' on site {settings.name}"
            outcome = approve_batch_then_send(run_id, title, results, settings, timeout_s, benchmark.task,
                                              standing_consent=standing_consent,
                                              policy_version=benchmark.policy_version)
        if isinstance(outcome, State):
            return outcome
        summary = _summary(finalized, outcome, failed)
        rows = [row_outcome_tag("rejected", m, d) for m, d in summary["rejected"]]
        rows += [row_outcome_tag("failed", m, d) for m, d in summary["failed"]]
        if rows:  # the campaign's matrix shows these pairs as rejected / failed, not as the run's state
            label_run(run_id, f"{settings.name}: evaluate {len(wanted)} pair(s) of {benchmark.name}", rows)
        told = (f"{len(summary['finalized'])} finalized, {len(summary['queued'])} queued, "
                f"{len(summary['rejected'])} rejected, {len(summary['failed'])} failed")
        if summary["failed"]:
            return Failed(name=PARTLY_FAILED_STATE, message=f"{told}; the failures are recorded on the site")
        if summary["queued"]:
            return Completed(name=QUEUED_STATE, message=f"{told}; the queued rows wait in the site's outbox")
        logger.info("batch done: %s", told)
        return summary
