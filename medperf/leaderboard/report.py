"""An HTML report of the leaderboard: per declared metric, a plot of each model per site (CI bars) and a table."""

import base64
import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from medperf.leaderboard.render import (  # noqa: E402
    cell,
    separation_note,
    summary_cells,
    title_of,
    worst_subgroup_cell,
)
from medperf.leaderboard.table import Leaderboard, LeaderboardRow  # noqa: E402
from medperf.schemas.task import MetricSpec  # noqa: E402

STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{white-space:nowrap}"
    "td:nth-child(2){text-align:left}"
)


def plot_leaderboard(board: Leaderboard, path: Path, metric: str | None = None) -> Path:
    """Grouped points: one colour per site, one group per model, whiskers = the declared CI (if any)."""
    spec = board.spec(metric)
    board = board.ranked_by(spec.name)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.8 * len(board.rows) + 2), 4.2))
    width = 0.8 / max(1, len(board.sites) + 1)
    for s_index, site in enumerate(board.sites + ["mean"]):
        xs, ys, lows, highs = [], [], [], []
        for m_index, row in enumerate(board.rows):
            interval = None
            if site == "mean":
                value = row.mean(spec.name)
            else:
                score = row.sites.get(site)
                if score is None:
                    continue
                value = score.value(spec.name)
                interval = score.interval(spec)
            if value is None:
                continue
            xs.append(m_index + (s_index - len(board.sites) / 2) * width)
            ys.append(value)
            lows.append(max(0.0, value - interval[0]) if interval else 0.0)
            highs.append(max(0.0, interval[1] - value) if interval else 0.0)
        marker = "D" if site == "mean" else "o"
        ax.errorbar(xs, ys, yerr=[lows, highs], fmt=marker, capsize=3, label=site)
    ax.set_xticks(range(len(board.rows)), [row.model_name for row in board.rows])
    ax.set_ylabel(title_of(spec))
    ax.set_title(f"Benchmark {board.benchmark_id}: {spec.name} per model and site")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small", loc="best")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _table(board: Leaderboard, spec: MetricSpec) -> str:
    board = board.ranked_by(spec.name)
    head = "".join(f"<th>{html.escape(s)}</th>" for s in board.sites)
    subgroups = bool(board.task.subgroups)

    def extra(row: LeaderboardRow) -> str:
        return f"<td>{html.escape(worst_subgroup_cell(row, spec))}</td>" if subgroups else ""

    body = []
    for row in board.rows:
        cells = "".join(f"<td>{html.escape(cell(row.sites.get(s), spec))}</td>" for s in board.sites)
        mean, worst = summary_cells(row, spec)
        body.append(
            f"<tr><td>{html.escape(row.band_text())}</td><td>{html.escape(row.model_name)}</td>{cells}"
            f"<td>{html.escape(mean)}</td><td>{html.escape(worst)}</td>"
            f"<td>{html.escape(separation_note(row))}</td>{extra(row)}</tr>"
        )
    return (f"<table><tr><th>#</th><th>model</th>{head}<th>mean</th><th>worst site</th><th>separation</th>"
            f"{'<th>worst subgroup</th>' if subgroups else ''}</tr>" + "".join(body) + "</table>")


def write_report(board: Leaderboard, folder: Path, title: str = "MedPerf federated evaluation") -> Path:
    """Write report.html (plots embedded) and one PNG per declared metric into folder; returns the HTML path.

    The ranking metric's plot is also written as leaderboard.png.
    """
    sections = []
    primary = board.spec()
    ordered = [primary, *(s for s in board.task.metrics if s.name != primary.name)]
    for spec in ordered:
        png = plot_leaderboard(board, folder / ("leaderboard.png" if spec is primary else f"{spec.name}.png"),
                               spec.name)
        image = base64.b64encode(png.read_bytes()).decode()
        sections.append(
            f'<section id="metric-{html.escape(spec.name)}"><h2>{html.escape(title_of(spec))}</h2>'
            f'<img alt="{html.escape(spec.name)} per model and site" src="data:image/png;base64,{image}">'
            f"{_table(board, spec)}</section>"
        )
    has_ci = any(spec.ci is not None for spec in board.task.metrics)
    intervals = ("Intervals are the 95 % confidence intervals the sites computed (bootstrap); models whose "
                 "intervals overlap on every site they share are not separated and share a rank band (e.g. 1–2)."
                 if has_ci else "No confidence intervals are declared for these metrics.")
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{STYLE}</style>
</head><body><h1>{html.escape(title)}</h1>
<p>Benchmark {board.benchmark_id} ({html.escape(board.task.kind.value)}); ranked by {html.escape(title_of(primary))}.
Only aggregate metrics approved by each site's data owner are shown. {intervals}</p>
{''.join(sections)}</body></html>"""
    out = folder / "report.html"
    out.write_text(page, encoding="utf-8")
    return out
