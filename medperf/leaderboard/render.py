"""Render a leaderboard as a rich table, CSV or JSON."""

import csv
import io
import json

from rich.table import Table

from medperf.leaderboard.table import HEADLINE_METRICS, Leaderboard, SiteScore


def _cell(score: SiteScore | None, metric: str) -> str:
    if score is None:
        return "-"
    value = score.value(metric)
    if value is None:
        return "n/a"
    low, high = score.value(f"{metric}_ci_low"), score.value(f"{metric}_ci_high")
    ci = f" [{low:.3f}-{high:.3f}]" if low is not None and high is not None else ""
    flag = " (partial)" if score.partial else ""
    return f"{value:.3f}{ci}{flag}"


def to_rich_table(board: Leaderboard, metric: str | None = None) -> Table:
    """One row per model: each site's metric with its 95 % CI, the mean over sites and the worst site."""
    metric = metric or board.primary_metric
    table = Table(title=f"Leaderboard of benchmark {board.benchmark_id} — {metric} (95 % CI)")
    table.add_column("#", justify="right")
    table.add_column("model")
    for site in board.sites:
        table.add_column(site)
    table.add_column("mean", justify="right")
    table.add_column("worst site")
    for rank, row in enumerate(board.rows, start=1):
        mean = row.mean(metric)
        worst = row.worst(metric)
        table.add_row(
            str(rank),
            row.model_name,
            *[_cell(row.sites.get(site), metric) for site in board.sites],
            f"{mean:.3f}" if mean is not None else "n/a",
            f"{worst[0]} ({worst[1]:.3f})" if worst else "n/a",
        )
    return table


def to_csv(board: Leaderboard) -> str:
    """Flat CSV of every (model, site) score plus MEAN and WORST lines."""
    records = board.as_records()
    columns: list[str] = ["rank", "model", "model_id", "site", "dataset_id", "partial"]
    for metric in HEADLINE_METRICS:
        columns += [metric, f"{metric}_ci_low", f"{metric}_ci_high"]
    columns.append("num_cases")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow(record)
    return buffer.getvalue()


def to_json(board: Leaderboard) -> str:
    """The same records as JSON."""
    return json.dumps(
        {"benchmark_id": board.benchmark_id, "primary_metric": board.primary_metric,
         "sites": board.sites, "records": board.as_records()},
        indent=2,
    )
