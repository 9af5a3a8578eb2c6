"""An HTML report of the leaderboard with a plot of each model's metric per site (95 % CI error bars)."""

import base64
import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from medperf.leaderboard.render import _cell  # noqa: E402
from medperf.leaderboard.table import HEADLINE_METRICS, Leaderboard  # noqa: E402


def plot_leaderboard(board: Leaderboard, path: Path, metric: str | None = None) -> Path:
    """Grouped points: one colour per site, one group per model, whiskers = the bootstrap 95 % CI."""
    metric = metric or board.primary_metric
    fig, ax = plt.subplots(figsize=(max(6.0, 1.8 * len(board.rows) + 2), 4.2))
    width = 0.8 / max(1, len(board.sites) + 1)
    for s_index, site in enumerate(board.sites + ["mean"]):
        xs, ys, lows, highs = [], [], [], []
        for m_index, row in enumerate(board.rows):
            if site == "mean":
                value, low, high = row.mean(metric), None, None
            else:
                score = row.sites.get(site)
                if score is None:
                    continue
                value = score.value(metric)
                low, high = score.value(f"{metric}_ci_low"), score.value(f"{metric}_ci_high")
            if value is None:
                continue
            xs.append(m_index + (s_index - len(board.sites) / 2) * width)
            ys.append(value)
            lows.append(value - low if low is not None else 0.0)
            highs.append(high - value if high is not None else 0.0)
        marker = "D" if site == "mean" else "o"
        ax.errorbar(xs, ys, yerr=[lows, highs], fmt=marker, capsize=3, label=site)
    ax.set_xticks(range(len(board.rows)), [row.model_name for row in board.rows])
    ax.set_ylabel(f"{metric} (95 % CI)")
    ax.set_title(f"Benchmark {board.benchmark_id}: {metric} per model and site")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(board: Leaderboard, folder: Path, title: str = "MedPerf federated evaluation") -> Path:
    """Write report.html (with the plot embedded) and leaderboard.png into folder; returns the HTML path."""
    png = plot_leaderboard(board, folder / "leaderboard.png")
    image = base64.b64encode(png.read_bytes()).decode()
    sections = []
    for metric in HEADLINE_METRICS:
        head = "".join(f"<th>{html.escape(s)}</th>" for s in board.sites)
        body = []
        for rank, row in enumerate(board.rows, start=1):
            cells = "".join(f"<td>{html.escape(_cell(row.sites.get(s), metric))}</td>" for s in board.sites)
            mean = row.mean(metric)
            worst = row.worst(metric)
            body.append(
                f"<tr><td>{rank}</td><td>{html.escape(row.model_name)}</td>{cells}"
                f"<td>{'n/a' if mean is None else f'{mean:.3f}'}</td>"
                f"<td>{'n/a' if worst is None else html.escape(f'{worst[0]} ({worst[1]:.3f})')}</td></tr>"
            )
        sections.append(
            f"<h2>{metric}</h2><table><tr><th>#</th><th>model</th>{head}<th>mean</th><th>worst site</th></tr>"
            + "".join(body) + "</table>"
        )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:1.5em}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}td:nth-child(2){{text-align:left}}</style>
</head><body><h1>{html.escape(title)}</h1>
<p>Benchmark {board.benchmark_id}. Only aggregate metrics approved by each site's data owner are shown;
intervals are bootstrap 95 % confidence intervals computed at the site.</p>
<img alt="{board.primary_metric} per model and site" src="data:image/png;base64,{image}">
{''.join(sections)}</body></html>"""
    out = folder / "report.html"
    out.write_text(page, encoding="utf-8")
    return out
