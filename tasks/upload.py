"""Tasks: the uploads of approved payloads (retried with backoff; idempotent by client_key)."""

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from medperf.schemas import DatasetCreate, DatasetPublic, ResultCreate, ResultFinalize, ResultPublic
from medperf.settings import default_home
from medperf.site.connections import site_registry
from medperf.site.payloads import DatasetPayload, ResultPayload

RETRY = {"retries": 3, "retry_delay_seconds": exponential_backoff(2), "cache_policy": NO_CACHE}


@task(name="upload_dataset", **RETRY)  # type: ignore[call-overload]
def upload_dataset(payload: DatasetPayload, client_key: str) -> DatasetPublic:
    """Register the approved dataset; a retry after a lost response returns the same dataset."""
    body = DatasetCreate(
        name=payload.name,
        site=payload.site,
        benchmark_id=payload.benchmark_id,
        data_preparation_container_id=payload.data_preparation_container_id,
        raw_data_hash=payload.raw_data_hash,
        prepared_data_hash=payload.prepared_data_hash,
        statistics=payload.statistics,
        client_key=client_key,
    )
    with site_registry(default_home()) as registry:
        return registry.datasets.create(body)


@task(name="open_result", **RETRY)  # type: ignore[call-overload]
def open_result(benchmark_id: int, model_id: int, dataset_id: int, client_key: str) -> ResultPublic:
    """Create (or find again, by client_key) the PENDING result before the run."""
    body = ResultCreate(benchmark_id=benchmark_id, model_id=model_id, dataset_id=dataset_id, client_key=client_key)
    with site_registry(default_home()) as registry:
        return registry.results.create(body)


@task(name="upload_result", **RETRY)  # type: ignore[call-overload]
def upload_result(result_id: int, payload: ResultPayload) -> ResultPublic:
    """Finalize the result with the approved metrics (once; an already-final result is returned)."""
    with site_registry(default_home()) as registry:
        current = registry.results.get(result_id)
        if current.status == "FINALIZED":
            return current
        final = ResultFinalize(
            metrics=payload.metrics,
            partial=payload.partial,
            model_container_id=payload.model_container_id,
            evaluator_container_id=payload.evaluator_container_id,
        )
        return registry.results.finalize(result_id, final)
