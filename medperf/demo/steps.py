"""Step headings for the demo: a numbered title, the CLI command a user would type, and the step's timing."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.rule import Rule
from rich.table import Table
from rich.text import Text


@dataclass
class StepLog:
    """Prints each step as it starts and ends and keeps the durations for the final summary."""

    console: Console
    total: int
    timings: list[tuple[str, float]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    @contextmanager
    def step(self, title: str, *commands: str) -> Iterator[None]:
        """`with log.step("Start the stack", "medperf server start"):` ... prints the time it took."""
        number = len(self.timings) + 1
        self.console.print(Rule(Text(f"[{number}/{self.total}] {title}", style="bold cyan"), align="left"))
        for command in commands:
            self.console.print(Text(f"  $ {command}", style="dim"), soft_wrap=True)
        begin = time.monotonic()
        yield
        took = time.monotonic() - begin
        self.timings.append((title, took))
        self.console.print(Text(f"  done in {took:.1f} s", style="green"))

    def note(self, message: str) -> None:
        """One line of what happened inside a step."""
        self.console.print(Text(f"  {message}"), soft_wrap=True)

    def summary(self) -> Table:
        """Every step's duration and the total wall time."""
        table = Table(title="Timings", title_justify="left")
        table.add_column("step")
        table.add_column("seconds", justify="right")
        for title, took in self.timings:
            table.add_row(title, f"{took:.1f}")
        table.add_row(Text("total", style="bold"), Text(f"{time.monotonic() - self.started:.1f}", style="bold"))
        return table

    def as_dict(self) -> dict[str, float]:
        """The timings as {step: seconds} (for --json consumers and the tests)."""
        return {title: round(took, 2) for title, took in self.timings}
