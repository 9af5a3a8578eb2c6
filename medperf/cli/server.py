"""`medperf server`: run the registry and create its first admin (on the server machine)."""

import os
import sys
from typing import Annotated, Any

import typer

from medperf.cli.output import echo_json, print_message
from medperf.profiles import Profile, ProfileStore
from medperf.settings import ServerSettings

app = typer.Typer(name="server", help="Run the registry server (on the server machine).", no_args_is_help=True)

Host = Annotated[str | None, typer.Option("--host", help="Address to bind (default 127.0.0.1).")]
Port = Annotated[int | None, typer.Option("--port", help="Port to bind (default 8000).")]
DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL (default: SQLite in $MEDPERF_HOME/registry.db)."),
]


def server_settings(host: str | None, port: int | None, database_url: str | None) -> ServerSettings:
    """ServerSettings from MEDPERF_SERVER_* variables, with the flags that were given taking precedence."""
    overrides: dict[str, Any] = {"host": host, "port": port, "database_url": database_url}
    return ServerSettings(**{key: value for key, value in overrides.items() if value is not None})


Workers = Annotated[int, typer.Option("--workers", min=1, max=64, help="uvicorn worker processes (default 1).")]


def server_command(settings: ServerSettings, workers: int) -> list[str]:
    """One worker: uvicorn serving the app. Several: MedPerf's stdlib-only supervisor of uvicorn workers.

    uvicorn's own `--workers` supervisor imports uvicorn and starts multiprocessing's resource tracker, two
    processes that hold about 40 MB and serve nothing; ours holds about 10 MB and never imports the app.
    """
    address = ["--host", settings.host, "--port", str(settings.port)]
    if workers > 1:
        return [sys.executable, "-m", "medperf.server.supervisor", *address, "--workers", str(workers)]
    command = [sys.executable, "-m", "uvicorn", "medperf.server.app:app_from_environment", "--factory", *address]
    return [*command, "--log-level", "info", "--no-access-log"]


@app.command("start")
def start(host: Host = None, port: Port = None, database_url: DatabaseUrl = None, workers: Workers = 1) -> None:
    """Start the registry server (blocks until stopped).

    The database is migrated first; then this process becomes uvicorn (exec), so nothing the migration
    or the CLI loaded stays in memory, and with --workers above 1 the supervisor holds no app.
    """
    from medperf.server.migrate import upgrade_database

    settings = server_settings(host, port, database_url)
    upgrade_database(settings.database_url)
    env = {**os.environ, "MEDPERF_SERVER_DATABASE_URL": settings.database_url}
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, server_command(settings, workers), env)


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option("--email", help="The admin's email.")],
    name: Annotated[str, typer.Option("--name", help="The admin's name.")],
    database_url: DatabaseUrl = None,
    save_profile: Annotated[
        str | None, typer.Option("--save-profile", help="Also store the token as this local profile.")
    ] = None,
    server_url: Annotated[
        str | None, typer.Option("--server-url", help="URL saved in the profile (default http://HOST:PORT).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Create an admin user directly in the database and print its token once."""
    from medperf.server.admin import create_admin as create_admin_in_db

    settings = server_settings(None, None, database_url)
    token = create_admin_in_db(settings, email, name)
    url = server_url or f"http://{settings.host}:{settings.port}"
    if save_profile:
        ProfileStore().put(save_profile, Profile(server_url=url, token=token))
    if as_json:
        echo_json({"email": email, "token": token, "profile": save_profile, "server_url": url})
        return
    print_message(f"admin {email} created; token (shown only once):")
    print_message(token)
    if save_profile:
        print_message(f"saved as profile {save_profile!r} ({url}) and made active")
