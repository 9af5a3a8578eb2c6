"""One run of the README's `medperf demo` command in a temp home, as the e2e tests start it."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DemoRun:
    """What one demo run left behind: its runner, home folder, console output and --json-out result."""

    runner: str
    home: Path
    output: str
    result: dict[str, Any]


def run_demo(home: Path, *options: str, runner: str = "sandbox", timeout_s: float = 1200) -> DemoRun:
    """`medperf demo --yes --no-keep --runner RUNNER OPTIONS` in home (stack stopped at the end); must succeed."""
    out = home.parent / f"result-{runner}.json"
    env = {**os.environ, "COLUMNS": "200", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    if runner in ("docker", "mixed"):
        assert env.get("DOCKER_HOST"), f"the {runner} demo needs DOCKER_HOST (set by scripts/test.sh)"
    command = [sys.executable, "-m", "medperf.cli.main", "demo", "--yes", "--no-keep", "--runner", runner,
               *options, "--home", str(home), "--json-out", str(out)]
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout_s)
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, f"the {runner} demo {' '.join(options)} failed:\n{output[-8000:]}"
    print(output)  # shown with -s: the step timings for the report
    return DemoRun(runner, home, output, json.loads(out.read_text()))
