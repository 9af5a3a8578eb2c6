"""`medperf site up` saves the site's settings in the site home; later commands find them with MEDPERF_HOME only."""

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from medperf.cli import site_commands
from medperf.cli.errors import ErrorReportingGroup
from medperf.errors import ConfigError
from medperf.settings import SiteSettings
from medperf.site.run_store import RunStore
from medperf.site.saved_settings import load_site_settings, save_site_settings, site_file

NO_SITE_ENV: dict[str, str | None] = {
    "MEDPERF_SITE_NAME": None,
    "MEDPERF_SITE_DATA_ROOT": None,
    "MEDPERF_SITE_RUNNER": None,
    "MEDPERF_SITE_APPROVAL_WAIT": None,
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in NO_SITE_ENV:
        monkeypatch.delenv(key, raising=False)


def _cli() -> typer.Typer:
    cli = typer.Typer(cls=ErrorReportingGroup)
    cli.add_typer(site_commands.app, name="site")
    return cli


def test_saved_settings_come_back_and_the_environment_wins(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = SiteSettings(name="site-x", data_root=tmp_path / "data", runner="docker", approval_wait="pause")
    path = save_site_settings(tmp_path, settings)
    assert path == site_file(tmp_path) and path.stat().st_mode & 0o077 == 0
    loaded = load_site_settings(tmp_path)
    assert (loaded.name, loaded.data_root, loaded.runner, loaded.approval_wait) == (
        "site-x", tmp_path / "data", "docker", "pause",
    )
    monkeypatch.setenv("MEDPERF_SITE_RUNNER", "sandbox")
    assert load_site_settings(tmp_path).runner == "sandbox"


def test_without_saved_settings_the_error_names_what_is_missing(tmp_path: Path, clean_env: None) -> None:
    with pytest.raises(ConfigError, match=r"MEDPERF_SITE_NAME, MEDPERF_SITE_DATA_ROOT not set.*medperf site up"):
        load_site_settings(tmp_path)


def test_approvals_ls_with_only_medperf_home(tmp_path: Path, clean_env: None) -> None:
    data = tmp_path / "data"
    save_site_settings(tmp_path, SiteSettings(name="site-x", data_root=data))
    RunStore(data).record_pending("run-1", "result", "Result of model 'logreg' on dataset 'ds'", {"a": 1}, "f" * 64)
    shown = CliRunner().invoke(_cli(), ["site", "approvals", "ls"], env={"MEDPERF_HOME": str(tmp_path), **NO_SITE_ENV})
    assert shown.exit_code == 0, shown.output
    assert "run-1" in shown.output and "logreg" in shown.output


def test_approvals_ls_without_settings_says_how_to_set_them(tmp_path: Path, clean_env: None) -> None:
    shown = CliRunner().invoke(_cli(), ["site", "approvals", "ls"], env={"MEDPERF_HOME": str(tmp_path), **NO_SITE_ENV})
    assert shown.exit_code == 1
    assert "MEDPERF_SITE_NAME, MEDPERF_SITE_DATA_ROOT not set" in shown.output
    assert "medperf site up --site NAME --data-root PATH" in shown.output
    assert "Traceback" not in shown.output


def test_a_run_asking_again_after_retry_is_listed_as_waiting(tmp_path: Path) -> None:
    """Wrong codes end a try ("wrong-code"); after Retry the run waits again and `approvals ls` shows it."""
    store = RunStore(tmp_path)
    store.record_pending("run-1", "result", "t", {"a": 1}, "f" * 64)
    store.record_decision("run-1", "wrong-code", "")
    assert store.approvals()[0].decision == "wrong-code"
    store.record_pending("run-1", "result", "t", {"a": 1}, "f" * 64)  # the retried run reaches its form again
    assert store.approvals()[0].decision is None


def test_last_rejection_matches_kind_and_ids(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    payload = {"benchmark_id": 1, "model_id": 2, "dataset_id": 3}
    store.record_pending("run-1", "result", "t", payload, "f" * 64)
    assert store.last_rejection("result", benchmark_id=1, model_id=2, dataset_id=3) is None
    store.record_decision("run-1", "rejected", "no")
    assert store.last_rejection("result", benchmark_id=1, model_id=2, dataset_id=3) is not None
    assert store.last_rejection("result", benchmark_id=1, model_id=9, dataset_id=3) is None
    assert store.last_rejection("dataset", benchmark_id=1) is None


def test_a_rejection_in_the_same_second_as_a_consent_is_newer_than_it(tmp_path: Path) -> None:
    """The consent's time comes from the registry with microseconds; the rejection's time must be as fine,
    or a "no" given within the second after a standing consent counts as older and the consent overrides it."""
    from datetime import UTC, datetime

    store = RunStore(tmp_path)
    payload = {"benchmark_id": 1, "model_id": 2, "dataset_id": 3}
    for attempt in range(5):
        consent_created = datetime.now(UTC)
        store.record_pending(f"run-{attempt}", "result", "t", payload, "f" * 64)
        store.record_decision(f"run-{attempt}", "rejected", "no")
        rejected_at = store.last_rejection("result", benchmark_id=1, model_id=2, dataset_id=3)
        assert rejected_at is not None and rejected_at >= consent_created


def test_a_naive_registry_time_is_utc_whatever_the_sites_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A site west of Greenwich must not read the registry's UTC time as local time (hours later)."""
    import time
    from datetime import UTC, datetime

    from flows.approval import _aware

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        naive = datetime(2026, 12, 3, 10, 0, 0)
        assert _aware(naive) == datetime(2026, 12, 3, 10, 0, 0, tzinfo=UTC)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
