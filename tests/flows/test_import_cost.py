"""A flow-run process starts fast: importing the site flows loads no pandas, Great Expectations or matplotlib."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "numpy", "great_expectations", "matplotlib", "docker")


def test_importing_the_site_flows_loads_no_heavy_library() -> None:
    code = (
        "import sys, flows.evaluate_model, flows.prepare_dataset, flows.continuous_evaluation; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
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
    assert done.stdout.strip() == "", f"imported at flow import time: {done.stdout.strip()}"
