"""Build the leaderboard from finalized results and the benchmark's declared task (plain data, no I/O)."""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from medperf.errors import ConfigError
from medperf.schemas import DatasetPublic, ModelPublic, ResultPublic, ResultStatus
from medperf.schemas.task import Direction, MetricSpec, TaskDeclaration, binary_defaults


@dataclass(frozen=True)
class SiteScore:
    """One model's finalized metrics at one site."""

    site: str
    dataset_id: int
    result_id: int
    metrics: Mapping[str, Any]
    partial: bool
    drifted: bool = False  # the site's data drifted from the benchmark's reference (its released statistics)

    def value(self, metric: str) -> float | None:
        """The metric as a float, or None when absent or undefined."""
        raw = self.metrics.get(metric)
        if isinstance(raw, bool) or not isinstance(raw, int | float) or math.isnan(float(raw)):
            return None
        return float(raw)

    def interval(self, spec: MetricSpec) -> tuple[float, float] | None:
        """The declared confidence interval of the metric here, or None when none is declared or reported."""
        if spec.ci is None:
            return None
        low, high = self.value(spec.ci[0]), self.value(spec.ci[1])
        return None if low is None or high is None else (low, high)


@dataclass
class LeaderboardRow:
    """A model's line: its site scores, the mean over sites, the worst site and its rank band."""

    model_id: int
    model_name: str
    sites: dict[str, SiteScore] = field(default_factory=dict)
    rank: int = 0
    rank_band: tuple[int, int] = (0, 0)
    not_separated_from: list[str] = field(default_factory=list)

    def mean(self, metric: str) -> float | None:
        """Unweighted mean over the sites where the metric is defined."""
        values = [v for s in self.sites.values() if (v := s.value(metric)) is not None]
        return sum(values) / len(values) if values else None

    def worst(self, metric: str, direction: Direction = Direction.HIGHER) -> tuple[str, float] | None:
        """The site with the worst value of the metric (lowest if higher is better, else highest), and that value."""
        scored = [(v, site) for site, s in self.sites.items() if (v := s.value(metric)) is not None]
        if not scored:
            return None
        if direction is Direction.HIGHER:
            value, site = min(scored)
        else:
            value, site = min(scored, key=lambda item: (-item[0], item[1]))
        return site, value

    def worst_subgroup(self, spec: MetricSpec) -> tuple[str, str, float] | None:
        """The worst released subgroup value of the metric over all sites: (site, subgroup, value), or None."""
        found: list[tuple[float, str, str]] = []
        for site, score in self.sites.items():
            groups = score.metrics.get("subgroups")
            if not isinstance(groups, Mapping):
                continue
            for name, released in groups.items():
                value = released.get(spec.name) if isinstance(released, Mapping) else None
                if isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(float(value)):
                    found.append((float(value), site, str(name)))
        if not found:
            return None
        value, site, name = min(found) if spec.direction is Direction.HIGHER else max(found)
        return site, name, value

    def band_text(self) -> str:
        """'2' or, when the model is not separated from its neighbours, the band it shares ('1–2')."""
        low, high = self.rank_band
        return str(low) if low == high else f"{low}–{high}"


@dataclass
class Leaderboard:
    """All rows, best mean of the ranking metric first, under the benchmark's declared (or default) task."""

    benchmark_id: int
    primary_metric: str
    rows: list[LeaderboardRow]
    sites: list[str]
    task: TaskDeclaration = field(default_factory=binary_defaults)

    def spec(self, metric: str | None = None) -> MetricSpec:
        """The declaration of a metric (the ranking metric by default)."""
        return metric_spec(self.task, metric or self.primary_metric)

    def ranked_by(self, metric: str) -> "Leaderboard":
        """The same scores ranked (order and bands) by another declared metric."""
        if metric == self.primary_metric:
            return self
        return replace(self, primary_metric=metric, rows=ranked_rows(self.rows, self.spec(metric)))

    def as_records(self) -> list[dict[str, Any]]:
        """Flat records (one per model and site, plus mean and worst) for CSV and JSON export."""
        records: list[dict[str, Any]] = []
        primary = self.spec()
        for row in self.rows:
            head: dict[str, Any] = {"rank": row.rank, "rank_band": row.band_text(), "model": row.model_name,
                                    "model_id": row.model_id}
            for site in self.sites:
                score = row.sites.get(site)
                if score is None:
                    continue
                record: dict[str, Any] = {**head, "site": site, "dataset_id": score.dataset_id,
                                          "partial": score.partial}
                for spec in self.task.metrics:
                    record[spec.name] = score.value(spec.name)
                    for end in spec.ci or ():
                        record[end] = score.value(end)
                record["num_cases"] = score.value(self.task.count_key)
                record["drifted"] = score.drifted
                records.append(record)
            summary: dict[str, Any] = {**head, "site": "MEAN", "dataset_id": None, "partial": None,
                                       "not_separated_from": row.not_separated_from}
            for spec in self.task.metrics:
                summary[spec.name] = row.mean(spec.name)
            records.append(summary)
            worst = row.worst(primary.name, primary.direction)
            if worst is not None:
                records.append({**head, "site": f"WORST:{worst[0]}", primary.name: worst[1]})
            subgroup = row.worst_subgroup(primary)
            if subgroup is not None:
                records.append({**head, "site": f"WORST-SUBGROUP:{subgroup[0]}:{subgroup[1]}",
                                primary.name: subgroup[2]})
        return records


def metric_spec(task: TaskDeclaration, metric: str) -> MetricSpec:
    """The declared metric; ConfigError naming the declared ones when it is not declared."""
    spec = task.metric(metric)
    if spec is None:
        declared = [m.name for m in task.metrics]
        raise ConfigError(f"--metric: {metric!r} is not a declared metric of this benchmark; choose one of {declared}")
    return spec


def _overlap(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool:
    return a is not None and b is not None and a[0] <= b[1] and b[0] <= a[1]


def separated(first: LeaderboardRow, second: LeaderboardRow, spec: MetricSpec) -> bool:
    """Whether two models are told apart: not when their intervals overlap on every site they share.

    Without declared intervals (or shared sites) the means alone decide: equal means are not separated.
    """
    shared = [site for site in first.sites if site in second.sites]
    if spec.ci is not None and shared:
        pairs = [(first.sites[s].interval(spec), second.sites[s].interval(spec)) for s in shared]
        if all(a is not None and b is not None for a, b in pairs):
            return not all(_overlap(a, b) for a, b in pairs)
    return first.mean(spec.name) != second.mean(spec.name)


def ranked_rows(rows: Iterable[LeaderboardRow], spec: MetricSpec) -> list[LeaderboardRow]:
    """New rows, best mean first (higher or lower as declared), each with its position and rank band.

    A band spans every model this one is not separated from (see `separated`).
    """
    sign = -1.0 if spec.direction is Direction.HIGHER else 1.0

    def sort_key(row: LeaderboardRow) -> tuple[bool, float, str]:
        mean = row.mean(spec.name)
        return (mean is None, sign * mean if mean is not None else 0.0, row.model_name)

    ordered = [replace(row) for row in sorted(rows, key=sort_key)]
    for index, row in enumerate(ordered):
        row.rank = index + 1
        row.not_separated_from = [o.model_name for o in ordered if o is not row and not separated(row, o, spec)]
        above = sum(1 for o in ordered[:index] if separated(row, o, spec))
        below = sum(1 for o in ordered[index + 1:] if separated(row, o, spec))
        row.rank_band = (above + 1, len(ordered) - below)
    return ordered


def build_leaderboard(
    benchmark_id: int,
    results: Iterable[ResultPublic],
    models: Mapping[int, ModelPublic],
    datasets: Mapping[int, DatasetPublic],
    primary_metric: str | None = None,
    task: TaskDeclaration | None = None,
) -> Leaderboard:
    """Keep the latest finalized result per (model, dataset) of the benchmark and rank models.

    The ranking metric is the declared primary metric unless another declared one is named; models with a
    better mean come first (higher or lower, as declared). Without a declaration the binary defaults apply.
    """
    task = task or binary_defaults()
    spec = metric_spec(task, primary_metric or task.primary_metric)
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
        drift = (dataset.statistics or {}).get("drift") if dataset else None
        drifted = isinstance(drift, Mapping) and drift.get("drifted") is True
        row.sites[site] = SiteScore(site, dataset_id, result.id, result.metrics or {}, result.partial, drifted)

    return Leaderboard(benchmark_id, spec.name, ranked_rows(rows.values(), spec), sorted(sites), task)
