"""`medperf user`: accounts on the registry (the admin creates them)."""

from typing import Annotated

import typer

from medperf.cli.context import open_client
from medperf.cli.inputs import validated
from medperf.cli.options import JsonFlag, Limit, Offset
from medperf.cli.output import print_entity, print_page
from medperf.schemas import UserCreate

app = typer.Typer(name="user", help="Registry users (admin).", no_args_is_help=True)
COLUMNS = ("id", "email", "name", "is_admin", "created_at")


@app.command("create")
def create(
    ctx: typer.Context,
    email: Annotated[str, typer.Option("--email", help="The user's email.")],
    name: Annotated[str, typer.Option("--name", help="The user's name.")],
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an admin.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create a user (admin only); then give it a token with `medperf token create USER_ID`."""
    user = validated(
        UserCreate,
        {"email": email, "name": name, "is_admin": admin},
        source="the command line",
        flags={"email": "--email", "name": "--name"},
    )
    with open_client(ctx) as client:
        print_entity(client.users.create(user), as_json=as_json, title="user created")


@app.command("ls")
def list_users(
    ctx: typer.Context,
    admins: Annotated[bool | None, typer.Option("--admins/--non-admins", help="Only (non-)admins.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    as_json: JsonFlag = False,
) -> None:
    """List users (admin only)."""
    with open_client(ctx) as client:
        page = client.users.list(limit=limit, offset=offset, is_admin=admins)
    print_page(page, COLUMNS, as_json=as_json, title="users")


@app.command("view")
def view(ctx: typer.Context, user_id: int, as_json: JsonFlag = False) -> None:
    """Show one user (admin, or yourself)."""
    with open_client(ctx) as client:
        print_entity(client.users.get(user_id), as_json=as_json)
