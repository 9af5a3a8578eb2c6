"""Running `medperf` commands in-process against a test MEDPERF_HOME."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import Result
from typer.testing import CliRunner

from medperf.cli.main import app


@dataclass
class MedPerfCli:
    """Runs `medperf ...` in-process with MEDPERF_HOME set to a test folder."""

    home: Path
    runner: CliRunner

    def __call__(self, *args: str, env: dict[str, str | None] | None = None) -> Result:
        """Run one command with MEDPERF_HOME set, no MEDPERF_PROFILE unless given, and 200-column tables."""
        environment: dict[str, str | None] = {
            "MEDPERF_HOME": str(self.home),
            "MEDPERF_PROFILE": None,
            "COLUMNS": "200",
        }
        return self.runner.invoke(app, list(args), env={**environment, **(env or {})}, catch_exceptions=False)

    def ok(self, *args: str, env: dict[str, str | None] | None = None) -> Result:
        """Run a command that must succeed."""
        result = self(*args, env=env)
        assert result.exit_code == 0, f"medperf {' '.join(args)} failed: {result.output}"
        return result

    def json(self, *args: str) -> Any:
        """Run a command with --json and parse its stdout."""
        return json.loads(self.ok(*args, "--json").stdout)
