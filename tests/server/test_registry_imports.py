"""The server stays independent of the orchestration layer."""

import subprocess
import sys


def test_server_never_imports_prefect() -> None:
    code = "import sys, medperf.server.app, medperf.server.admin; print('prefect' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
