"""`medperf site up|status|down` against the real stack: checks, pool, deployments, background worker."""

from pathlib import Path
from typing import Any

import pytest
from campaign_world import new_user, poll
from prefect.client.orchestration import get_client
from typer.testing import CliRunner

from deployments.site_worker import running_pid, worker_files
from medperf.cli import site_up_commands
from medperf.client import RegistryClient
from medperf.profiles import Profile, ProfileStore
from medperf.site.saved_settings import load_site_settings

pytestmark = [pytest.mark.prefect, pytest.mark.postgres, pytest.mark.s3]


def _site_home(stack: Any, tmp_path: Path) -> Path:
    admin = RegistryClient(stack.registry_url, stack.admin_token)
    token = new_user(admin, f"cli-owner-{tmp_path.name}@hospital.example")
    home = tmp_path / "home"
    ProfileStore(home).put("site", Profile(server_url=stack.registry_url, token=token))
    return home


def test_site_up_status_down(stack: Any, tmp_path: Path) -> None:
    home, data = _site_home(stack, tmp_path), tmp_path / "data"
    data.mkdir()
    runner = CliRunner()
    env = {"MEDPERF_HOME": str(home), "MEDPERF_SITE_RUNNER": "sandbox"}
    site = "cli-site"
    try:
        up = runner.invoke(site_up_commands.app, ["up", "--site", site, "--data-root", str(data)], env=env)
        assert up.exit_code == 0, up.output
        assert "deployment evaluate_model/cli-site ready" in up.output
        assert "Prefect UI: http://127.0.0.1:" in up.output
        saved = load_site_settings(home)  # what later commands use with only MEDPERF_HOME set
        assert (saved.name, saved.data_root, saved.runner) == (site, data.resolve(), "sandbox")
        files = worker_files(site, home)
        pid = running_pid(files)
        assert pid is not None and files.log_file.exists()
        with get_client(sync_client=True) as client:
            assert client.read_work_pool(site).concurrency_limit == 2

            def online() -> bool:
                return any(w.status and w.status.value == "ONLINE" for w in client.read_workers_for_work_pool(site))

            poll(online, "the site's worker to report ONLINE", 60)
        again = runner.invoke(site_up_commands.app, ["up", "--site", site, "--data-root", str(data)], env=env)
        assert "already running" in again.output and running_pid(files) == pid

        status = runner.invoke(site_up_commands.app, ["status", "--site", site], env=env)
        assert f"running (pid {pid})" in status.output
        assert "deployment cli-site (pool cli-site)" in status.output
    finally:
        down = runner.invoke(site_up_commands.app, ["down", "--site", site], env=env)
    assert down.exit_code == 0 and f"stopped (pid {pid})" in down.output
    assert running_pid(worker_files(site, home)) is None


def test_site_up_names_a_missing_data_root(stack: Any, tmp_path: Path) -> None:
    import typer

    from medperf.cli.errors import ErrorReportingGroup

    cli = typer.Typer(cls=ErrorReportingGroup)
    cli.add_typer(site_up_commands.app)
    home = _site_home(stack, tmp_path)
    result = CliRunner().invoke(cli, ["site", "up", "--site", "x", "--data-root", str(tmp_path / "nope")],
                                env={"MEDPERF_HOME": str(home)})
    assert result.exit_code == 1
    assert f"MEDPERF_SITE_DATA_ROOT {tmp_path / 'nope'} is not an existing folder" in result.output
