"""`medperf token`: API tokens of a user (created by the admin, revoked by the admin or the user)."""

import typer

from medperf.cli.context import open_client
from medperf.cli.options import JsonFlag, Limit, Offset
from medperf.cli.output import echo_json, print_entity, print_message, print_page

app = typer.Typer(name="token", help="API tokens.", no_args_is_help=True)


@app.command("create")
def create(ctx: typer.Context, user_id: int, as_json: JsonFlag = False) -> None:
    """Create a token for a user (admin only); the token is printed once, give it to the user."""
    with open_client(ctx) as client:
        created = client.tokens.create(user_id)
    if as_json:
        echo_json(created.model_dump(mode="json"))
        return
    print_message(f"token {created.id} for user {user_id} (shown only once):")
    print_message(created.token)
    print_message("the user runs: medperf auth login --server URL --token TOKEN")


@app.command("ls")
def list_tokens(
    ctx: typer.Context, user_id: int, limit: Limit = 100, offset: Offset = 0, as_json: JsonFlag = False
) -> None:
    """List a user's tokens (admin, or yourself); secrets are never shown."""
    with open_client(ctx) as client:
        page = client.tokens.list(user_id, limit=limit, offset=offset)
    print_page(page, ("id", "user_id", "revoked", "created_at"), as_json=as_json, title="tokens")


@app.command("revoke")
def revoke(ctx: typer.Context, token_id: int, as_json: JsonFlag = False) -> None:
    """Revoke a token (admin, or the token's user)."""
    with open_client(ctx) as client:
        print_entity(client.tokens.revoke(token_id), as_json=as_json, title="token revoked")
