"""Sending one outbox entry to the registry: register the dataset or finalize the result, idempotently."""

from __future__ import annotations

from pathlib import Path

from medperf.client.registry import RegistryClient
from medperf.retry_policy import RetryPolicy
from medperf.schemas import DatasetCreate, ResultFinalize, ResultStatus
from medperf.site.dataset_index import DatasetIndex
from medperf.site.dataset_steps import PreparedDataset
from medperf.site.outbox import OutboxEntry

# Inside a run, right after the approval: keep trying for half a minute, then leave it to the site's sender.
INLINE = RetryPolicy(attempts=6, backoff_s=1.0, max_backoff_s=8.0, deadline_s=30.0)


def deliver(entry: OutboxEntry, registry: RegistryClient, data_root: Path) -> int:
    """Send the entry's approved payload; the registry id of the dataset or result."""
    payload = entry.payload
    if entry.kind == "dataset":
        body = DatasetCreate(
            name=payload["name"],
            site=payload["site"],
            benchmark_id=payload["benchmark_id"],
            data_preparation_container_id=payload["data_preparation_container_id"],
            raw_data_hash=payload["raw_data_hash"],
            prepared_data_hash=payload["prepared_data_hash"],
            statistics=payload["statistics"],
            client_key=entry.target["client_key"],
        )
        dataset = registry.datasets.create(body)  # the same client key again returns the same dataset
        prepared = entry.target["prepared"]
        DatasetIndex(data_root).record(dataset.id, PreparedDataset(
            Path(prepared["data"]), Path(prepared["labels"]), Path(prepared["metadata"]), prepared["prepared_hash"]
        ))
        return dataset.id
    if entry.kind == "result":
        result_id = int(entry.target["result_id"])
        current = registry.results.get(result_id)
        if current.status == ResultStatus.FINALIZED:
            return current.id
        final = ResultFinalize(
            metrics=payload["metrics"],
            partial=payload["partial"],
            model_container_id=payload["model_container_id"],
            evaluator_container_id=payload["evaluator_container_id"],
        )
        return registry.results.finalize(result_id, final).id
    raise ValueError(f"outbox entry {entry.entry_id}: unknown kind {entry.kind!r}")
