"""A flow-run process starts fast: importing the site flows loads no pandas, Great Expectations or matplotlib."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "numpy", "great_expectations", "matplotlib", "docker")
# Loaded by the flows' bodies once the run is RUNNING, not by the flow modules (benchmarks/dispatch.py).
STEPS = ("flows.approval", "medperf.client", "medperf.site.container_steps", "tasks.fetch", "tasks.infer")


def loaded_by_the_site_flows(modules: tuple[str, ...]) -> str:
    """Which of the modules importing the site flow modules loads, comma separated."""
    code = (
        "import sys, flows.evaluate_model, flows.evaluate_batch, flows.prepare_dataset, flows.continuous_evaluation; "
        f"print(','.join(m for m in {modules!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"PATH": "/usr/bin:/bin", "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"},
    )
    return done.stdout.strip()


def test_importing_the_site_flows_loads_no_heavy_library() -> None:
    loaded = loaded_by_the_site_flows(HEAVY)
    assert loaded == "", f"imported at flow import time: {loaded}"


def test_importing_the_site_flows_leaves_their_steps_to_the_run() -> None:
    loaded = loaded_by_the_site_flows(STEPS)
    assert loaded == "", f"imported at flow import time: {loaded}"
