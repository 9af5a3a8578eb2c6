"""Build the leaderboard from finalized results (plain data, no I/O)."""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from medperf.schemas import DatasetPublic, ModelPublic, ResultPublic, ResultStatus

HEADLINE_METRICS = ("auc", "accuracy", "sensitivity", "specificity")


@dataclass(frozen=True)
class SiteScore:
    """One model's finalized metrics at one site."""

    site: str
    dataset_id: int
    result_id: int
    metrics: Mapping[str, Any]
    partial: bool

    def value(self, metric: str) -> float | None:
        """The metric as a float, or None when absent or undefined."""
        raw = self.metrics.get(metric)
        if isinstance(raw, bool) or not isinstance(raw, int | float) or math.isnan(float(raw)):
            return None
        return float(raw)


@dataclass
class LeaderboardRow:
    """A model's line: its site scores, the mean over sites and the worst site (by the primary metric)."""

    model_id: int
    model_name: str
    sites: dict[str, SiteScore] = field(default_factory=dict)

    def mean(self, metric: str) -> float | None:
        """Unweighted mean over the sites where the metric is defined."""
        values = [v for s in self.sites.values() if (v := s.value(metric)) is not None]
        return sum(values) / len(values) if values else None

    def worst(self, metric: str) -> tuple[str, float] | None:
        """The site with the lowest value of the metric, and that value."""
        scored = [(v, site) for site, s in self.sites.items() if (v := s.value(metric)) is not None]
        if not scored:
            return None
        value, site = min(scored)
        return site, value


@dataclass
class Leaderboard:
    """All rows, best mean primary metric first."""

    benchmark_id: int
    primary_metric: str
    rows: list[LeaderboardRow]
    sites: list[str]

    def as_records(self) -> list[dict[str, Any]]:
        """Flat records (one per model and site, plus mean and worst) for CSV and JSON export."""
        records: list[dict[str, Any]] = []
        for rank, row in enumerate(self.rows, start=1):
            for site in self.sites:
                score = row.sites.get(site)
                if score is None:
                    continue
                record: dict[str, Any] = {"rank": rank, "model": row.model_name, "model_id": row.model_id,
                                          "site": site, "dataset_id": score.dataset_id,
                                          "partial": score.partial}
                for metric in HEADLINE_METRICS:
                    record[metric] = score.value(metric)
                    record[f"{metric}_ci_low"] = score.value(f"{metric}_ci_low")
                    record[f"{metric}_ci_high"] = score.value(f"{metric}_ci_high")
                record["num_cases"] = score.metrics.get("num_cases")
                records.append(record)
            summary: dict[str, Any] = {"rank": rank, "model": row.model_name, "model_id": row.model_id,
                                       "site": "MEAN", "dataset_id": None, "partial": None}
            for metric in HEADLINE_METRICS:
                summary[metric] = row.mean(metric)
            records.append(summary)
            worst = row.worst(self.primary_metric)
            if worst is not None:
                records.append({"rank": rank, "model": row.model_name, "model_id": row.model_id,
                                "site": f"WORST:{worst[0]}", self.primary_metric: worst[1]})
        return records


def build_leaderboard(
    benchmark_id: int,
    results: Iterable[ResultPublic],
    models: Mapping[int, ModelPublic],
    datasets: Mapping[int, DatasetPublic],
    primary_metric: str = "auc",
) -> Leaderboard:
    """Keep the latest finalized result per (model, dataset) of the benchmark and rank models."""
    latest: dict[tuple[int, int], ResultPublic] = {}
    for result in results:
        if result.benchmark_id != benchmark_id or result.status != ResultStatus.FINALIZED:
            continue
        key = (result.model_id, result.dataset_id)
        current = latest.get(key)
        if current is None or (result.finalized_at or result.created_at) >= (
            current.finalized_at or current.created_at
        ):
            latest[key] = result
    rows: dict[int, LeaderboardRow] = {}
    sites: set[str] = set()
    for (model_id, dataset_id), result in latest.items():
        dataset = datasets.get(dataset_id)
        model = models.get(model_id)
        site = dataset.site if dataset else f"dataset-{dataset_id}"
        sites.add(site)
        row = rows.setdefault(model_id, LeaderboardRow(model_id, model.name if model else f"model-{model_id}"))
        row.sites[site] = SiteScore(site, dataset_id, result.id, result.metrics or {}, result.partial)

    def sort_key(row: LeaderboardRow) -> tuple[float, str]:
        mean = row.mean(primary_metric)
        return (-(mean if mean is not None else -math.inf), row.model_name)

    return Leaderboard(benchmark_id, primary_metric, sorted(rows.values(), key=sort_key), sorted(sites))
