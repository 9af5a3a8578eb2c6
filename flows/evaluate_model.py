"""Flow: run a model on a prepared dataset, evaluate it, ask the owner, then finalize the result."""

from typing import Any

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import State

from blocks.data_site import with_operator_edits
from flows.approval import approve_then_send, consent_holds
from flows.run_labels import label_evaluation
from flows.site_run import record_failures, site_task
from medperf.durations import parse_duration
from medperf.errors import ConfigError
from medperf.schemas import BenchmarkPublic, ModelPublic, ResultStatus
from medperf.settings import SiteSettings, default_home
from medperf.site.connections import site_registry
from medperf.site.container_fetch import container_key
from medperf.site.container_steps import StepFailed
from medperf.site.dataset_index import DatasetIndex
from medperf.site.dataset_steps import per_case_table
from medperf.site.entity_refs import EntityRef, resolve
from medperf.site.evaluation_steps import SubgroupInputs
from medperf.site.liveness import running
from medperf.site.payloads import ResultPayload, payload_sha256
from medperf.site.release_policy import case_ids_in, check_result_payload
from medperf.site.run_store import RunStore
from medperf.site.step_keys import step_key
from tasks.evaluate import evaluate
from tasks.fetch import fetch_container
from tasks.infer import infer
from tasks.upload import open_result

ONE_WEEK = "7 days"


def result_client_key(
    site: str,
    benchmark: BenchmarkPublic,
    model: ModelPublic,
    dataset_id: int,
) -> str:
    """Stable across re-runs of the same inputs; a new model container or a new evaluator is a new result.

    A re-run of the same evaluation finalizes the same PENDING result, never a second one.
    """
    parts = [site, benchmark.id, model.id, model.version, model.container_id, benchmark.evaluator_container_id]
    return "evaluate-" + payload_sha256([*parts, dataset_id])[:40]


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
        benchmark_id, model_id, dataset_id = benchmark.id, model.id, dataset.id
        label_evaluation(run_id, settings.name, model.name, dataset.name, (benchmark_id, model_id, dataset_id))
        prepared = DatasetIndex(settings.data_root).get(dataset_id)
        intact = DatasetIndex(settings.data_root).verify(dataset_id).intact  # re-reads only changed files
        if prepared.prepared_hash != dataset.prepared_data_hash or not intact:
            raise ConfigError(
                f"dataset {dataset_id}: the prepared data on this site no longer matches its registered hash; "
                "prepare it again"
            )
        key = result_client_key(settings.name, benchmark, model, dataset_id)
        result = open_result(benchmark_id, model_id, dataset_id, key)
        if result.status == ResultStatus.FINALIZED:
            logger.info("result %s is already finalized; nothing to do", result.id)
            return result.id

        model_container, model_spec = fetch_container(model.container_id, settings)
        eval_container, eval_spec = fetch_container(benchmark.evaluator_container_id, settings)
        infer_key = step_key("infer", container_key(model_container), prepared.prepared_hash)
        partial = False
        try:
            predictions = site_task(infer, settings)(infer_key, model_spec, prepared.data, settings)
            predictions_path, predictions_hash = predictions.path, predictions.sha256
        except StepFailed as err:
            RunStore(settings.data_root).record_failure(
                run_id, "infer", str(err), {"exit_code": err.result.exit_code, "log": str(err.result.log_path)}
            )
            if not offer_partial:
                raise
            logger.info("the model failed; offering a partial result for approval")
            partial = True
            predictions_path = err.work_dir / "predictions"  # what the model wrote before it failed
            predictions_hash = "partial-" + run_id

        # The model id keeps two models with identical predictions, evaluated at once, out of one work folder.
        eval_key = step_key(
            "evaluate", container_key(eval_container), f"model-{model_id}", predictions_hash, prepared.prepared_hash
        )
        task, k = benchmark.task, benchmark.release_policy.min_cell_count
        subgroups = SubgroupInputs(prepared, benchmark.sanity_suite, task, k) if task and task.subgroups else None
        if subgroups is not None:  # the subgroup columns and k are part of what the evaluate step computes
            eval_key = step_key("evaluate", eval_key, "subgroups", *(task.subgroups if task else ()), f"k{k}")
        metrics: dict[str, Any]
        try:
            metrics = site_task(evaluate, settings)(
                eval_key, eval_spec, predictions_path, prepared.labels, settings, subgroups
            )
        except StepFailed:
            if not partial:
                raise
            metrics = {}

        payload = ResultPayload(
            benchmark_id=benchmark_id,
            model_id=model_id,
            dataset_id=dataset_id,
            metrics=metrics,
            partial=partial,
            model_container_id=model_container.id,
            evaluator_container_id=eval_container.id,
        )
        cases = per_case_table(prepared, benchmark.sanity_suite, summaries=False)  # one listing: count and ids
        check_result_payload(
            payload, benchmark.release_policy, num_cases=len(cases.table), case_ids=case_ids_in(cases), task=task
        )
        title = f"Result of model '{model.name}' on dataset '{dataset.name}' (benchmark '{benchmark.name}')"
        if partial:
            title = "PARTIAL " + title
        consent = standing_consent and not partial and consent_holds(payload, settings, benchmark.policy_version)
        sent = approve_then_send(
            run_id, title, payload, settings, timeout_s, task, {"result_id": result.id}, consent=consent
        )
        if isinstance(sent, int):
            logger.info("result %s finalized", sent)
        return sent
