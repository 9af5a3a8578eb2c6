"""Fixtures of the fault tests: the runners of tests/containers and the world builder of tests/deployments."""

import sys
from pathlib import Path

# The runner fixtures of tests/containers (the sandbox and docker runners, the probe container, its folders).
from containers.conftest import case as case
from containers.conftest import docker_client as docker_client
from containers.conftest import docker_host as docker_host
from containers.conftest import io_dirs as io_dirs
from containers.conftest import probe_config as probe_config
from containers.conftest import probe_image as probe_image

ROOT = Path(__file__).resolve().parents[2]

# The world builder of the deployment tests (campaign_world: committee, sites with their own worker, home and
# data root); the central stack they share is tests/conftest.py's `stack`.
sys.path.insert(0, str(ROOT / "tests" / "deployments"))
