"""`medperf result`: list and view evaluation results you may see."""

from typing import Annotated

import typer

from medperf.cli.context import open_client
from medperf.cli.options import BenchmarkFilter, DatasetFilter, JsonFlag, Limit, ModelFilter, Offset
from medperf.cli.output import print_entity, print_page
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
