"""`medperf audit`: the registry's audit log."""

from typing import Annotated

import typer

from medperf.cli.context import open_client
from medperf.cli.options import JsonFlag, Limit, Offset
from medperf.cli.output import print_page

app = typer.Typer(name="audit", help="Audit log of state changes.", no_args_is_help=True)
COLUMNS = ("id", "at", "actor_id", "action", "entity", "entity_id")


@app.command("ls")
def list_entries(
    ctx: typer.Context,
    entity: Annotated[str | None, typer.Option("--entity", help="Only this entity kind, e.g. benchmark.")] = None,
    entity_id: Annotated[int | None, typer.Option("--entity-id", help="Only this entity id.")] = None,
    actor: Annotated[int | None, typer.Option("--actor", help="Only changes made by this user id.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    as_json: JsonFlag = False,
) -> None:
    """List audit entries (admin: all; others: their own actions)."""
    with open_client(ctx) as client:
        page = client.audit.list(limit=limit, offset=offset, entity=entity, entity_id=entity_id, actor_id=actor)
    print_page(page, COLUMNS, as_json=as_json, title="audit log")
