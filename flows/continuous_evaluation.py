"""Flow: scheduled per site; one evaluate_batch run per benchmark for the pairs whose model or evaluator changed."""

from prefect import flow

CONTINUOUS_TAG = "medperf-continuous"


@flow(name="continuous_evaluation", persist_result=False)
def continuous_evaluation(site: str = "", benchmark_ids: tuple[int, ...] = ()) -> list[str]:
    """Find the stale (model, dataset) pairs at the site and evaluate them in one evaluate_batch run per
    benchmark (one approval for the benchmark's new results, as a per-site campaign asks).

    The pairs of datasets whose data owner gave a standing consent go in a run of their own that uploads
    without pausing while the consent covers every row (the batch checks it again itself); the others wait
    for approval like any run. Runs are tagged "medperf-continuous"; returns the ids of the runs created.

    Args:
        site: The site whose pairs to evaluate; empty = this worker's site.
        benchmark_ids: Only these benchmarks (ids); empty = every benchmark the site's datasets take part in.
    """
    # The flow-run process imports these after the run is RUNNING, not while it loads this module (dispatch latency).
    from prefect import get_run_logger

    from medperf.campaign.continuous import has_standing_consent, plan_continuous_runs
    from medperf.campaign.dispatch import dispatch_batches
    from medperf.campaign.prefect_runs import in_flight, latest_runs
    from medperf.settings import SiteSettings, default_home
    from medperf.site.connections import site_registry

    site_name = site or SiteSettings().name
    logger = get_run_logger()
    flow_run_ids: list[str] = []
    with site_registry(default_home()) as registry:
        newest = {}

        def busy(benchmark_id: int) -> set[tuple[int, int]]:
            runs = latest_runs(benchmark_id)
            newest[benchmark_id] = runs
            return in_flight(runs)

        for plan in plan_continuous_runs(registry, site_name, busy, benchmark_ids or ()):
            consented = {dataset_id: has_standing_consent(registry, plan.benchmark_id, dataset_id)
                         for dataset_id in sorted({planned.pair.dataset_id for planned in plan.runs})}
            runs = newest.get(plan.benchmark_id, {})
            last = {p.pair: runs.get((p.pair.model_id, p.pair.dataset_id)) for p in plan.runs}
            for consent in (True, False):
                group = [planned for planned in plan.runs if consented[planned.pair.dataset_id] is consent]
                if not group:
                    continue
                dispatched = dispatch_batches(plan.benchmark_id, group, last, tags=[CONTINUOUS_TAG],
                                              extra_parameters={"standing_consent": consent})
                run_id = dispatched[0].flow_run_id
                logger.info(
                    "benchmark %s: %s pair(s)%s -> run %s: %s", plan.benchmark_id, len(group),
                    " under the standing consent" if consent else "", run_id,
                    ", ".join(f"model {p.pair.model_id} on dataset {p.pair.dataset_id} ({p.reason.value})"
                              for p in group),
                )
                flow_run_ids.append(run_id)
    logger.info("%d evaluation run(s) dispatched at %s", len(flow_run_ids), site_name)
    return flow_run_ids
