"""Flow: run a model on a prepared dataset, evaluate it, ask the owner, then finalize the result."""

from typing import Any

from prefect import flow
from prefect.states import State

from medperf.site.entity_refs import EntityRef

ONE_WEEK = "7 days"


@flow(name="evaluate_model", persist_result=False)
def evaluate_model(
    benchmark_id: EntityRef,
    model_id: EntityRef,
    dataset_id: EntityRef,
    offer_partial: bool = False,
    approval_timeout: str = ONE_WEEK,
    standing_consent: bool = False,
) -> int | State[Any]:
    """infer -> evaluate -> release policy -> approval -> finalize the result; returns the result id.

    A model crash leaves a failed record on the site and fails the run (the registry result stays PENDING
    and a re-run finalizes it); with offer_partial=True the owner is asked to approve a partial result.
    With standing_consent=True the flow checks, as the site itself, that the data owner's standing consent
    for this dataset in this benchmark is in the registry, unexpired and unrevoked; if so it uploads a
    policy-checked complete result without pausing (recorded on the site as "standing-consent"), unless
    the owner rejected this result after granting it. A rejection ends the run Cancelled, named "Rejected".

    Args:
        benchmark_id: The benchmark: its id in the registry, or its name.
        model_id: The model to evaluate: its id in the registry, or its name.
        dataset_id: The dataset prepared on this site to evaluate it on: its id, or its name.
        offer_partial: If the model crashes, ask the data owner to approve a partial result.
        approval_timeout: How long to wait for the data owner's answer, e.g. "7 days", "36 hours", "90 min".
        standing_consent: Upload without asking if the data owner's standing consent covers this result.
    """
    # The flow-run process imports these after the run is RUNNING, not while it loads this module (dispatch latency).
    from prefect import get_run_logger
    from prefect.runtime import flow_run

    from blocks.data_site import with_operator_edits
    from flows.approval import approve_then_send, consent_holds
    from flows.result_compute import compute_result
    from flows.run_labels import label_evaluation
    from flows.site_run import record_failures
    from medperf.durations import parse_duration
    from medperf.settings import SiteSettings, default_home
    from medperf.site.connections import site_registry
    from medperf.site.entity_refs import resolve
    from medperf.site.liveness import running

    settings = with_operator_edits(SiteSettings())  # limits and approval wait edited in the UI
    run_id = str(flow_run.id)
    logger = get_run_logger()
    with running(settings.data_root, run_id), record_failures(settings, run_id):  # liveness: the pid on the site
        timeout_s = parse_duration(approval_timeout, "approval_timeout")
        with site_registry(default_home()) as registry:
            benchmark = resolve("benchmark", benchmark_id, registry.benchmarks.get, registry.benchmarks.list)
            model = resolve("model", model_id, registry.models.get, registry.models.list)
            dataset = resolve(
                "dataset", dataset_id, registry.datasets.get, registry.datasets.list,
                benchmark_id=benchmark.id, site=settings.name,
            )
        label_evaluation(run_id, settings.name, model.name, dataset.name, (benchmark.id, model.id, dataset.id))
        computed = compute_result(settings, run_id, benchmark, model, dataset, offer_partial=offer_partial)
        if isinstance(computed, int):  # the registry has it finalized already
            return computed
        payload = computed.payload
        consent = (standing_consent and not payload.partial
                   and consent_holds(payload, settings, benchmark.policy_version))
        sent = approve_then_send(run_id, computed.title, payload, settings, timeout_s, benchmark.task,
                                 {"result_id": computed.result_id}, consent=consent)
        if isinstance(sent, int):
            logger.info("result %s finalized", sent)
        return sent
