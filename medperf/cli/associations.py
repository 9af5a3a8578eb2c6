"""`medperf association`: list benchmark associations and approve or reject them."""

from typing import Annotated

import typer

from medperf.cli.context import open_client
from medperf.cli.options import ApprovalFilter, BenchmarkFilter, JsonFlag, Limit, Offset
from medperf.cli.output import echo_json, print_entity, print_page
from medperf.client import ASSOCIATION_KINDS, AssociationKind

app = typer.Typer(name="association", help="Benchmark <-> dataset / model associations.", no_args_is_help=True)
COLUMNS: dict[AssociationKind, tuple[str, ...]] = {
    "dataset": ("id", "benchmark_id", "dataset_id", "requested_by", "approval_status", "created_at"),
    "model": ("id", "benchmark_id", "model_id", "requested_by", "approval_status", "created_at"),
}
KindFilter = Annotated[AssociationKind | None, typer.Option("--kind", help="dataset or model (default: both).")]
Kind = Annotated[AssociationKind, typer.Option("--kind", help="dataset or model.")]


@app.command("ls")
def list_associations(
    ctx: typer.Context,
    kind: KindFilter = None,
    benchmark: BenchmarkFilter = None,
    approval: ApprovalFilter = None,
    history: Annotated[bool, typer.Option("--history", help="Every decision, not only the latest.")] = False,
    limit: Limit = 100,
    offset: Offset = 0,
    as_json: JsonFlag = False,
) -> None:
    """List the associations you are a party to; without --kind, datasets then models (JSON: both pages)."""
    kinds = (kind,) if kind else ASSOCIATION_KINDS
    with open_client(ctx) as client:
        pages = {
            k: client.associations.list(
                k,
                limit=limit,
                offset=offset,
                benchmark_id=benchmark,
                approval_status=approval,
                latest_only=not history,
            )
            for k in kinds
        }
    if as_json and kind is None:
        echo_json({k: page.model_dump(mode="json") for k, page in pages.items()})
        return
    for k, page in pages.items():
        print_page(page, COLUMNS[k], as_json=as_json, title=f"{k} associations")


@app.command("approve")
def approve(ctx: typer.Context, association_id: int, kind: Kind, as_json: JsonFlag = False) -> None:
    """Approve an association the other party requested."""
    with open_client(ctx) as client:
        decided = client.associations.approve(kind, association_id)
    print_entity(decided, as_json=as_json, title=f"{kind} association approved")


@app.command("reject")
def reject(ctx: typer.Context, association_id: int, kind: Kind, as_json: JsonFlag = False) -> None:
    """Reject an association (either party)."""
    with open_client(ctx) as client:
        decided = client.associations.reject(kind, association_id)
    print_entity(decided, as_json=as_json, title=f"{kind} association rejected")
