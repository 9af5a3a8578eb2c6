"""Approvals resume paused runs on the embedded (SQLite) Prefect server without "database is locked"."""

import importlib.util
from pathlib import Path

import pytest

from medperf.prefect_load import resume_under_load

pytestmark = pytest.mark.prefect
ROOT = Path(__file__).resolve().parents[2]


def test_twenty_approvals_under_a_busy_site_are_all_accepted(tmp_path: Path) -> None:
    # its own server: the load (hundreds of runs, states and logs) must not slow the session's shared server
    spec = importlib.util.spec_from_file_location("prefect_server_for_load", ROOT / "infra" / "prefect_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    server = module.PrefectServer(database_url=f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}")
    server.start()
    try:
        figures = resume_under_load(server.api_url, approvals=20, writers=4)
    finally:
        server.stop()
    assert figures.errors == [] and figures.accepted == 20, figures.errors[:3]
    assert figures.background_writes > 0, "the load ran while the approvals resumed"
