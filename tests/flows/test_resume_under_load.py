"""Approvals resume paused runs on the embedded (SQLite) Prefect server without "database is locked"."""

import pytest

from medperf.prefect_load import resume_under_load

pytestmark = pytest.mark.prefect


def test_twenty_approvals_under_a_busy_site_are_all_accepted(prefect_api: str) -> None:
    figures = resume_under_load(prefect_api, approvals=20, writers=4)
    assert figures.errors == [] and figures.accepted == 20, figures.errors[:3]
    assert figures.background_writes > 0, "the load ran while the approvals resumed"
