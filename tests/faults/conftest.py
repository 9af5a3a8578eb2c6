"""Fixtures of the fault tests: the runners of tests/containers and the central stack of tests/deployments."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_runners = _load("medperf_fault_runners", ROOT / "tests" / "containers" / "conftest.py")
docker_host = _runners.docker_host
docker_client = _runners.docker_client
probe_image = _runners.probe_image
case = _runners.case
probe_config = _runners.probe_config
io_dirs = _runners.io_dirs
RunnerCase = _runners.RunnerCase

# The central stack of the deployment tests (Postgres, SeaweedFS, Prefect and MedPerf on Postgres) and their
# world builder (campaign_world: committee, sites with their own worker, home and data root).
sys.path.insert(0, str(ROOT / "tests" / "deployments"))
stack = _load("medperf_fault_stack", ROOT / "tests" / "deployments" / "conftest.py").stack
