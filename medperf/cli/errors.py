"""How the CLI reports errors: a MedPerfError is one red line and exit code 1; a bug keeps its traceback."""

from typing import Any

import click
import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from medperf.errors import MedPerfError

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(message: str) -> None:
    """Print one error line in red on stderr (no markup interpretation)."""
    stderr.print(Text(f"error: {message}", style="bold red"))


class ErrorReportingGroup(TyperGroup):
    """The root command group: turns every MedPerfError raised by a subcommand into one line + exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; report user errors without a traceback."""
        try:
            return super().invoke(ctx)
        except MedPerfError as err:
            print_error(str(err))
            raise typer.Exit(1) from None
