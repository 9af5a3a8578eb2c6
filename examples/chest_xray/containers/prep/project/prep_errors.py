"""The preparator's user-facing error and the command-line wrapper that prints it as one line."""

import sys
from collections.abc import Callable


class PrepError(Exception):
    """Input that cannot be prepared or checked; str() is the one line shown to the user."""


def run_cli(task: Callable[[], str]) -> int:
    """Run a task; print its summary (exit 0) or `ERROR: <one line>` on stderr (exit 1)."""
    try:
        summary = task()
    except PrepError as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    print(summary)
    return 0
