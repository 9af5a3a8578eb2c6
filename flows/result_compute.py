"""One evaluation up to its policy-checked payload: infer, evaluate, the release policy (shared by the flows)."""

from dataclasses import dataclass
from typing import Any

from prefect import get_run_logger

from flows.site_run import site_task
from medperf.errors import ConfigError
from medperf.schemas import BenchmarkPublic, DatasetPublic, ModelPublic, ResultStatus
from medperf.settings import SiteSettings
from medperf.site.container_fetch import container_key
from medperf.site.container_steps import StepFailed
from medperf.site.dataset_index import DatasetIndex
from medperf.site.dataset_steps import listed_cases
from medperf.site.evaluation_steps import SubgroupInputs
from medperf.site.payloads import ResultPayload, payload_sha256
from medperf.site.release_policy import check_result_payload
from medperf.site.run_store import RunStore
from medperf.site.step_keys import step_key
from tasks.evaluate import evaluate
from tasks.fetch import fetch_container
from tasks.infer import infer
from tasks.upload import open_result


@dataclass(frozen=True)
class ComputedResult:
    """A result ready for the data owner: its payload (policy-checked), its registry result and its title."""

    payload: ResultPayload
    result_id: int
    title: str


def result_client_key(site: str, benchmark: BenchmarkPublic, model: ModelPublic, dataset_id: int) -> str:
    """Stable across re-runs of the same inputs; a new model container or a new evaluator is a new result.

    A re-run of the same evaluation finalizes the same PENDING result, never a second one.
    """
    parts = [site, benchmark.id, model.id, model.version, model.container_id, benchmark.evaluator_container_id]
    return "evaluate-" + payload_sha256([*parts, dataset_id])[:40]


def compute_result(
    settings: SiteSettings,
    run_id: str,
    benchmark: BenchmarkPublic,
    model: ModelPublic,
    dataset: DatasetPublic,
    *,
    offer_partial: bool = False,
    in_batch: bool = False,
) -> ComputedResult | int:
    """Check the prepared data, open the registry result, infer, evaluate and apply the release policy.

    Returns the result id when the registry has it finalized already (nothing to do). A model crash is
    recorded on the site and raised, unless offer_partial: then the metrics of what it wrote are offered.
    """
    logger = get_run_logger()
    benchmark_id, model_id, dataset_id = benchmark.id, model.id, dataset.id
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
            run_id, "infer", str(err), {"exit_code": err.result.exit_code, "log": str(err.result.log_path)},
            pair=(model_id, dataset_id) if in_batch else None,  # in a batch, one pair's failure among others
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
    num_cases, case_ids = listed_cases(prepared, benchmark.sanity_suite)  # one listing: count and ids
    check_result_payload(payload, benchmark.release_policy, num_cases=num_cases, case_ids=case_ids, task=task)
    title = f"Result of model '{model.name}' on dataset '{dataset.name}' (benchmark '{benchmark.name}')"
    return ComputedResult(payload, result.id, ("PARTIAL " + title) if partial else title)
