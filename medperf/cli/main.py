"""The `medperf` command: global options and the registry of command groups."""

from typing import Annotated

import typer

from medperf.cli import (
    associations,
    audit,
    auth,
    benchmarks,
    bundle_commands,
    campaign_commands,
    containers,
    datasets,
    demo_commands,
    models,
    results,
    server,
    site_commands,
    site_up_commands,
    tokens,
    users,
)
from medperf.cli.context import CliState
from medperf.cli.errors import ErrorReportingGroup

# One line per command group; a new group is a module with a typer `app` named after its group.
COMMAND_GROUPS: tuple[typer.Typer, ...] = (
    server.app,
    users.app,
    tokens.app,
    auth.app,
    containers.app,
    models.app,
    benchmarks.app,
    datasets.app,
    associations.app,
    results.app,
    audit.app,
    site_commands.app,
    campaign_commands.app,
    site_up_commands.app,
    bundle_commands.app,
    demo_commands.app,
)

app = typer.Typer(
    name="medperf",
    cls=ErrorReportingGroup,
    help="MedPerf: federated evaluation of medical AI models.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option("--profile", envvar="MEDPERF_PROFILE", help="Profile (identity) to use for this command."),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds to wait for the server.")] = 30.0,
) -> None:
    """MedPerf: federated evaluation of medical AI models."""
    ctx.obj = CliState(profile=profile, timeout_s=timeout)


for group in COMMAND_GROUPS:
    app.add_typer(group)


if __name__ == "__main__":
    app()
