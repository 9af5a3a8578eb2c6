"""Render a leaderboard as a rich table, CSV or JSON, every declared metric with its declared CI."""

import csv
import io
import json

from rich.table import Table

from medperf.leaderboard.table import Leaderboard, LeaderboardRow, SiteScore
from medperf.schemas.task import Direction, MetricSpec


def cell(score: SiteScore | None, spec: MetricSpec) -> str:
    """A site's value of the metric, with its interval where one is declared and reported."""
    if score is None:
        return "-"
    value = score.value(spec.name)
    if value is None:
        return "n/a"
    interval = score.interval(spec)
    ci = f" [{interval[0]:.3f}-{interval[1]:.3f}]" if interval is not None else ""
    flag = " (partial)" if score.partial else ""
    drift = " (drifted data)" if score.drifted else ""  # the site's data drifted from the benchmark's reference
    return f"{value:.3f}{ci}{flag}{drift}"


def title_of(spec: MetricSpec) -> str:
    """'mae (lower is better, 95 % CI)': the direction, and the CI only where the metric declares one."""
    parts = ["higher is better" if spec.direction is Direction.HIGHER else "lower is better"]
    if spec.ci is not None:
        parts.append("95 % CI")
    return f"{spec.name} ({', '.join(parts)})"


def summary_cells(row: LeaderboardRow, spec: MetricSpec) -> tuple[str, str]:
    """The mean over sites and the worst site (by the metric's direction) as text."""
    mean = row.mean(spec.name)
    worst = row.worst(spec.name, spec.direction)
    return (f"{mean:.3f}" if mean is not None else "n/a", f"{worst[0]} ({worst[1]:.3f})" if worst else "n/a")


def worst_subgroup_cell(row: LeaderboardRow, spec: MetricSpec) -> str:
    """'site-b sex=F (0.712)': the worst released subgroup of the metric, or '-' when there is none."""
    worst = row.worst_subgroup(spec)
    return f"{worst[0]} {worst[1]} ({worst[2]:.3f})" if worst else "-"


def separation_note(row: LeaderboardRow) -> str:
    """'not separated from x, y' where intervals overlap on every shared site, else empty."""
    return f"not separated from {', '.join(row.not_separated_from)}" if row.not_separated_from else ""


def to_rich_table(board: Leaderboard, metric: str | None = None) -> Table:
    """One row per model: each site's metric (with its CI if declared), the mean, the worst site, the rank band."""
    spec = board.spec(metric)
    board = board.ranked_by(spec.name)
    table = Table(title=f"Leaderboard of benchmark {board.benchmark_id} — {title_of(spec)}")
    table.add_column("#", justify="right")
    table.add_column("model")
    for site in board.sites:
        table.add_column(site)
    table.add_column("mean", justify="right")
    table.add_column("worst site")
    table.add_column("separation")
    subgroups = bool(board.task.subgroups)
    if subgroups:
        table.add_column("worst subgroup")
    for row in board.rows:
        table.add_row(
            row.band_text(),
            row.model_name,
            *[cell(row.sites.get(site), spec) for site in board.sites],
            *summary_cells(row, spec),
            separation_note(row),
            *([worst_subgroup_cell(row, spec)] if subgroups else []),
        )
    return table


def csv_columns(board: Leaderboard) -> list[str]:
    """rank, model, site ... then every declared metric followed by its declared CI keys, then num_cases."""
    columns: list[str] = ["rank", "rank_band", "model", "model_id", "site", "dataset_id", "partial"]
    for spec in board.task.metrics:
        columns += [spec.name, *(spec.ci or ())]
    columns.append("num_cases")
    return columns


def to_csv(board: Leaderboard) -> str:
    """Flat CSV of every (model, site) score plus MEAN and WORST lines."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=csv_columns(board), extrasaction="ignore")
    writer.writeheader()
    for record in board.as_records():
        writer.writerow(record)
    return buffer.getvalue()


def to_json(board: Leaderboard) -> str:
    """The same records as JSON, with the declaration they were read under."""
    return json.dumps(
        {"benchmark_id": board.benchmark_id, "primary_metric": board.primary_metric,
         "task": board.task.model_dump(mode="json", exclude={"reference_statistics"}),
         "sites": board.sites, "records": board.as_records()},
        indent=2,
    )
