"""`medperf result`: list and view evaluation results you may see."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from medperf.cli.context import open_client
from medperf.cli.options import BenchmarkFilter, DatasetFilter, JsonFlag, Limit, ModelFilter, Offset
from medperf.cli.output import print_entity, print_page
from medperf.leaderboard.fetch import fetch_leaderboard
from medperf.leaderboard.render import to_csv, to_json, to_rich_table
from medperf.schemas import ResultStatus

app = typer.Typer(name="result", help="Evaluation results.", no_args_is_help=True)
COLUMNS = ("id", "benchmark_id", "model_id", "dataset_id", "status", "partial", "metrics", "finalized_at")


@app.command("ls")
def list_results(
    ctx: typer.Context,
    benchmark: BenchmarkFilter = None,
    model: ModelFilter = None,
    dataset: DatasetFilter = None,
    status: Annotated[ResultStatus | None, typer.Option("--status", help="Only this status.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    as_json: JsonFlag = False,
) -> None:
    """List results."""
    with open_client(ctx) as client:
        page = client.results.list(
            limit=limit,
            offset=offset,
            benchmark_id=benchmark,
            model_id=model,
            dataset_id=dataset,
            status=status,
        )
    print_page(page, COLUMNS, as_json=as_json, title="results")


@app.command("view")
def view(ctx: typer.Context, result_id: int, as_json: JsonFlag = False) -> None:
    """Show one result with its metrics."""
    with open_client(ctx) as client:
        print_entity(client.results.get(result_id), as_json=as_json)


@app.command("leaderboard")
def leaderboard(
    ctx: typer.Context,
    benchmark: Annotated[int, typer.Option("-b", "--benchmark", help="Benchmark id.")],
    metric: Annotated[
        str | None, typer.Option("--metric", help="Declared metric to rank and show (default: the primary one).")
    ] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    as_json: JsonFlag = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write report.html and leaderboard.png into this folder.")
    ] = None,
) -> None:
    """Per model: each site's metric (CI where declared), the mean over sites, the worst site, the rank band."""
    with open_client(ctx) as client:
        board = fetch_leaderboard(client, benchmark, primary_metric=metric)
    if as_csv:
        typer.echo(to_csv(board), nl=False)
    elif as_json:
        typer.echo(to_json(board))
    else:
        Console().print(to_rich_table(board))
    if report is not None:
        from medperf.leaderboard.report import write_report  # matplotlib: imported only when asked

        path = write_report(board, report)
        typer.echo(f"report written to {path}", err=as_csv or as_json)
