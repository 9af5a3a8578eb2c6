"""Flow: the benchmark owner's campaign: one evaluate_model run per approved pair without a current result."""

from prefect import flow, get_run_logger

from medperf.campaign.dispatch import dispatch_with_retry
from medperf.campaign.snapshot import load_snapshot
from medperf.settings import default_home
from medperf.site.connections import site_registry


@flow(name="campaign", persist_result=False)
def campaign(benchmark_id: int, model_ids: list[int] | None = None, dataset_ids: list[int] | None = None) -> list[str]:
    """Dispatch the campaign with the identity of $MEDPERF_PROFILE (the benchmark owner); returns run ids.

    The same as `medperf benchmark run`, as a flow so the committee can deploy and schedule it.
    """
    with site_registry(default_home()) as registry:
        done = dispatch_with_retry(lambda: load_snapshot(registry, benchmark_id), benchmark_id,
                                   models=model_ids or (), datasets=dataset_ids or ())
    dispatched = done.created
    logger = get_run_logger()
    for silent in done.crashed:
        logger.info("run %s had no heartbeat for %.0f s: marked crashed", silent.flow_run_id, silent.silent_for_s)
    for run in dispatched:
        logger.info(
            "model %s on dataset %s at %s -> run %s",
            run.pair.model_id,
            run.pair.dataset_id,
            run.pair.site,
            run.flow_run_id,
        )
    return [run.flow_run_id for run in dispatched]
