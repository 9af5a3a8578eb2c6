"""The central stack for the deployment tests: Postgres, SeaweedFS, Prefect on Postgres, MedPerf on Postgres."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.modules import load_module

ROOT = Path(__file__).resolve().parents[2]
REUSE_STACK = "MEDPERF_TEST_STACK_DIR"  # a folder where `python infra/stack.py up --dir DIR` already ran


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The whole central stack, started by infra/stack.py (or reused from $MEDPERF_TEST_STACK_DIR)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    module = load_module("medperf_infra_stack", ROOT / "infra" / "stack.py", register=True)  # infra/: scripts
    reuse = os.environ.get(REUSE_STACK)
    root = Path(reuse) if reuse else tmp_path_factory.mktemp("stack")
    state = module.up(root)  # raises with the service's log path when a service cannot start
    saved = {key: os.environ.get(key) for key in state.env()}
    os.environ.update(state.env())
    try:
        with temporary_settings(updates={PREFECT_API_URL: state.prefect_api_url}):
            yield state
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if not reuse:
            module.down(root)
