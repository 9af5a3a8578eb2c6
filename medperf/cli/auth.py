"""`medperf auth`: log in with a token, see who you are, switch between profiles."""

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from medperf.cli.context import cli_state
from medperf.cli.options import JsonFlag
from medperf.cli.output import console, echo_json, print_message
from medperf.client import NO_RETRY, ApiError, RegistryClient
from medperf.errors import ConfigError
from medperf.profiles import DEFAULT_PROFILE, Profile, ProfileStore, check_profile_name

app = typer.Typer(name="auth", help="Log in and choose the identity (profile) to use.", no_args_is_help=True)


@app.command("login")
def login(
    ctx: typer.Context,
    token: Annotated[str, typer.Option("--token", prompt=True, hide_input=True, help="Your API token.")],
    server: Annotated[str | None, typer.Option("--server", help="Registry URL, e.g. http://host:8000.")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="Profile name (default 'default').")] = None,
    activate: Annotated[
        bool,
        typer.Option("--activate/--no-activate", help="Make the profile the active one (default), or only add it."),
    ] = True,
) -> None:
    """Check the token against the server and store it as a profile (made the active one unless --no-activate)."""
    store = ProfileStore()
    name = profile or cli_state(ctx).profile or DEFAULT_PROFILE
    check_profile_name(name)
    known = store.load().profiles.get(name)
    url = server or (known.server_url if known else None)
    if not url:
        raise ConfigError(f"profile {name!r} has no server yet: pass --server URL")
    with RegistryClient(url, token) as client:
        me = client.users.me()
    store.put(name, Profile(server_url=url, token=token), activate=activate)
    active = store.load().active
    note = f"profile {name!r} is active" if active == name else f"profile {name!r} added; {active!r} stays active"
    print_message(f"logged in to {url} as {me.email} (user {me.id}); {note}")


@app.command("status")
def status(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Which profile and server are used, is the server reachable, and who the token belongs to."""
    name, profile = ProfileStore().resolve(cli_state(ctx).profile)
    with RegistryClient(profile.server_url, profile.token, timeout=5.0, retry=NO_RETRY) as client:
        reachable = client.is_reachable()
        me, problem = None, None
        if reachable:
            try:
                me = client.users.me()
            except ApiError as err:
                problem = str(err)
        else:
            problem = f"server {profile.server_url} is not reachable"
    if as_json:
        echo_json(
            {
                "profile": name,
                "server_url": profile.server_url,
                "reachable": reachable,
                "user": me.model_dump(mode="json") if me else None,
                "error": problem,
            }
        )
    else:
        table = Table(show_header=False)
        table.add_row("profile", name)
        table.add_row("server", profile.server_url)
        table.add_row("reachable", "yes" if reachable else Text("no", style="red"))
        table.add_row("user", f"{me.email} (id {me.id}{', admin' if me.is_admin else ''})" if me else "-")
        if problem:
            table.add_row("problem", Text(problem, style="red"))
        console().print(table)
    if problem:
        raise typer.Exit(1)


@app.command("use")
def use(name: str) -> None:
    """Make another stored profile the active one."""
    profile = ProfileStore().use(name)
    print_message(f"profile {name!r} is active ({profile.server_url})")


@app.command("ls")
def list_profiles(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the stored profiles (tokens are not shown)."""
    config = ProfileStore().load()
    selected = cli_state(ctx).profile or config.active
    rows = [
        {"name": name, "server_url": p.server_url, "active": name == selected}
        for name, p in sorted(config.profiles.items())
    ]
    if as_json:
        echo_json(rows)
        return
    table = Table("name", "server", "active")
    for row in rows:
        table.add_row(str(row["name"]), str(row["server_url"]), "*" if row["active"] else "")
    console().print(table)
