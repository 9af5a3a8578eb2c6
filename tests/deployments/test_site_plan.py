"""A site's deployment plan: the job variables every run gets, and what must never be in them."""

from datetime import timedelta
from pathlib import Path

import pytest

from deployments.site_plan import REPO_DIR, SitePlan
from deployments.work_pool import default_job_template
from medperf.errors import ConfigError
from medperf.settings import SiteSettings


def test_job_variables_name_the_site_its_data_root_and_runner(tmp_path: Path) -> None:
    plan = SitePlan(SiteSettings(name="site-a", data_root=tmp_path, runner="docker"))
    variables = plan.job_variables()
    env = variables["env"]
    assert isinstance(env, dict)
    assert env["MEDPERF_SITE_NAME"] == "site-a"
    assert env["MEDPERF_SITE_DATA_ROOT"] == str(tmp_path)
    assert env["MEDPERF_SITE_RUNNER"] == "docker"
    assert env["PREFECT_WORKER_QUERY_SECONDS"] == env["PREFECT_WORKER_PREFETCH_SECONDS"] == "1"
    assert variables["working_dir"] == str(REPO_DIR)
    assert plan.pool == "site-a"


def test_store_secrets_of_the_site_stay_out_of_the_job_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    monkeypatch.setenv("MEDPERF_STORE_SECRET_KEY", "very-secret")
    plan = SitePlan(SiteSettings(name="site-a", data_root=tmp_path), continuous_interval=timedelta(seconds=10))
    assert "very-secret" not in str(plan.job_variables())


def test_process_pools_come_with_their_template_and_other_types_name_their_package() -> None:
    template = default_job_template("process")
    assert "env" in template["variables"]["properties"]
    with pytest.raises(ConfigError, match="pip install prefect-kubernetes"):
        default_job_template("kubernetes")
