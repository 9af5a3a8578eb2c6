"""Fixtures of the fault tests: the runners of tests/containers and the central stack of tests/deployments."""

import sys
from pathlib import Path

# The runner fixtures of tests/containers (the sandbox and docker runners, the probe container, its folders).
from containers.conftest import case as case
from containers.conftest import docker_client as docker_client
from containers.conftest import docker_host as docker_host
from containers.conftest import io_dirs as io_dirs
from containers.conftest import probe_config as probe_config
from containers.conftest import probe_image as probe_image
from support.modules import load_module

ROOT = Path(__file__).resolve().parents[2]

# The central stack of the deployment tests (Postgres, SeaweedFS, Prefect and MedPerf on Postgres) and their
# world builder (campaign_world: committee, sites with their own worker, home and data root).
sys.path.insert(0, str(ROOT / "tests" / "deployments"))
stack = load_module("medperf_fault_stack", ROOT / "tests" / "deployments" / "conftest.py").stack
