"""A model's results over time: finalized results of one benchmark, optionally at one site, oldest first."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from medperf.client import RegistryClient, iter_all
from medperf.schemas import ResultStatus


@dataclass(frozen=True)
class HistoryEntry:
    """One finalized result: when, where, with which model and evaluator containers, and its metrics."""

    result_id: int
    finalized_at: datetime
    site: str
    dataset_id: int
    model_container_id: int | None
    evaluator_container_id: int | None
    partial: bool
    metrics: dict[str, Any]


def result_history(
    client: RegistryClient, benchmark_id: int, model_id: int, *, site: str | None = None
) -> list[HistoryEntry]:
    """Every finalized result of the model in the benchmark (at `site` only, if given), by finalized_at."""
    results = iter_all(
        client.results.list, benchmark_id=benchmark_id, model_id=model_id, status=ResultStatus.FINALIZED
    )
    sites: dict[int, str] = {}
    entries = []
    for result in results:
        if result.finalized_at is None:
            continue
        if result.dataset_id not in sites:
            sites[result.dataset_id] = client.datasets.get(result.dataset_id).site
        if site is not None and sites[result.dataset_id] != site:
            continue
        entries.append(
            HistoryEntry(
                result.id,
                result.finalized_at,
                sites[result.dataset_id],
                result.dataset_id,
                result.model_container_id,
                result.evaluator_container_id,
                result.partial,
                dict(result.metrics or {}),
            )
        )
    return sorted(entries, key=lambda e: (e.finalized_at, e.result_id))
