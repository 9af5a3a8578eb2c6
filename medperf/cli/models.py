"""`medperf model`: register models (a model wraps a container), list, view, associate with a benchmark."""

from typing import Annotated

import typer

from medperf.cli.context import open_client
from medperf.cli.inputs import validated
from medperf.cli.lifecycle import add_lifecycle_commands, send_edit
from medperf.cli.options import BenchmarkId, JsonFlag, Limit, ModelId, Offset, OwnerFilter, StateFilter
from medperf.cli.output import print_entity, print_page
from medperf.schemas import ModelCreate, ModelUpdate

app = typer.Typer(name="model", help="Models.", no_args_is_help=True)
COLUMNS = ("id", "name", "owner_id", "container_id", "version", "state", "updated_at")


@app.command("submit")
def submit(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Model name.")],
    container_id: Annotated[int, typer.Option("--container-id", help="Id of the model's container.")],
    version: Annotated[str, typer.Option("--version", help="Model version label.")] = "1",
    as_json: JsonFlag = False,
) -> None:
    """Register a model."""
    payload = validated(
        ModelCreate,
        {"name": name, "container_id": container_id, "version": version},
        source="the command line",
        flags={"name": "--name", "container_id": "--container-id", "version": "--version"},
    )
    with open_client(ctx) as client:
        print_entity(client.models.create(payload), as_json=as_json, title="model registered")


@app.command("ls")
def list_models(
    ctx: typer.Context,
    owner: OwnerFilter = None,
    state: StateFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
    as_json: JsonFlag = False,
) -> None:
    """List models."""
    with open_client(ctx) as client:
        page = client.models.list(limit=limit, offset=offset, owner_id=owner, state=state)
    print_page(page, COLUMNS, as_json=as_json, title="models")


@app.command("view")
def view(ctx: typer.Context, model_id: int, as_json: JsonFlag = False) -> None:
    """Show one model."""
    with open_client(ctx) as client:
        print_entity(client.models.get(model_id), as_json=as_json)


@app.command("associate")
def associate(ctx: typer.Context, benchmark: BenchmarkId, model: ModelId, as_json: JsonFlag = False) -> None:
    """Ask to evaluate a model in a benchmark; the other party approves (or the benchmark's policy does)."""
    with open_client(ctx) as client:
        association = client.associations.request_model(benchmark, model)
    print_entity(association, as_json=as_json, title=f"model association: {association.approval_status.value}")


add_lifecycle_commands(app, "model", lambda client: client.models, ModelUpdate)


@app.command("edit")
def edit(
    ctx: typer.Context,
    model_id: Annotated[int, typer.Argument(help="The model's id.")],
    container_id: Annotated[
        int | None, typer.Option("--container-id", help="A new container (a new version; benchmarks approve again).")
    ] = None,
    version: Annotated[str | None, typer.Option("--version", help="The new version's label.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Point a model at a new container of yours: a new version that each benchmark approves again."""
    fields = {"container_id": container_id, "version": version}
    send_edit(ctx, "model", model_id, lambda client: client.models, ModelUpdate, fields,
              {"container_id": "--container-id", "version": "--version"}, as_json=as_json)  # fmt: skip
