"""Flow: scheduled per site; dispatches evaluate_model for every pair whose model or evaluator changed."""

import inspect

from prefect import flow

CONTINUOUS_TAG = "medperf-continuous"


def evaluate_accepts_standing_consent() -> bool:
    """Whether this version of evaluate_model takes the `standing_consent` parameter."""
    from flows.evaluate_model import evaluate_model

    return "standing_consent" in inspect.signature(evaluate_model.fn).parameters


@flow(name="continuous_evaluation", persist_result=False)
def continuous_evaluation(site: str = "", benchmark_ids: tuple[int, ...] = ()) -> list[str]:
    """Find the stale (model, dataset) pairs at the site and start one evaluate_model run for each.

    Runs are tagged "medperf-continuous"; with a standing consent of the data owner (checked again by the
    evaluation flow itself) they upload without pausing, otherwise they wait for approval like any run.

    Args:
        site: The site whose pairs to evaluate; empty = this worker's site.
        benchmark_ids: Only these benchmarks (ids); empty = every benchmark the site's datasets take part in.
    """
    # The flow-run process imports these after the run is RUNNING, not while it loads this module (dispatch latency).
    from prefect import get_run_logger

    from medperf.campaign.continuous import has_standing_consent, plan_continuous_runs
    from medperf.campaign.dispatch import dispatch_pair
    from medperf.campaign.prefect_runs import in_flight, latest_runs
    from medperf.settings import SiteSettings, default_home
    from medperf.site.connections import site_registry

    site_name = site or SiteSettings().name
    logger = get_run_logger()
    with_consent = evaluate_accepts_standing_consent()
    flow_run_ids: list[str] = []
    with site_registry(default_home()) as registry:

        def busy(benchmark_id: int) -> set[tuple[int, int]]:
            return in_flight(latest_runs(benchmark_id))

        for plan in plan_continuous_runs(registry, site_name, busy, benchmark_ids or ()):
            for planned in plan.runs:
                extra = None
                if with_consent:
                    consent = has_standing_consent(registry, plan.benchmark_id, planned.pair.dataset_id)
                    extra = {"standing_consent": consent}
                run_id = dispatch_pair(plan.benchmark_id, planned.pair, extra_parameters=extra, tags=[CONTINUOUS_TAG])
                logger.info(
                    "benchmark %s: model %s on dataset %s (%s) -> run %s",
                    plan.benchmark_id,
                    planned.pair.model_id,
                    planned.pair.dataset_id,
                    planned.reason.value,
                    run_id,
                )
                flow_run_ids.append(run_id)
    logger.info("%d evaluation(s) dispatched at %s", len(flow_run_ids), site_name)
    return flow_run_ids
