"""The hospitals of the demo: their work pools, deployments and workers, and their preparation runs."""

import contextlib
import io
from pathlib import Path

from medperf.demo.layout import DemoLayout
from medperf.demo.transient import retrying
from medperf.settings import SiteSettings
from medperf.site.saved_settings import save_site_settings

POOL_CONCURRENCY = 2


def site_up(layout: DemoLayout, site: str, runner: str) -> str:
    """What `medperf site up --site SITE` does on the site's machine; returns a one-line note."""
    from deployments.site_checks import check_runner
    from deployments.site_deployments import deploy_site
    from deployments.site_plan import SitePlan
    from deployments.site_worker import start_worker

    folders = layout.site(site)
    folders.data_root.mkdir(parents=True, exist_ok=True)
    # The demo answers each approval within seconds, so runs wait with their process alive ("pause")
    # instead of suspending and restarting; a real site keeps the default "suspend" for waits of days.
    settings = SiteSettings(name=site, data_root=folders.data_root, runner=runner, approval_wait="pause")
    runner_note = check_runner(settings)
    save_site_settings(folders.home, settings)  # so `MEDPERF_HOME=<site home> medperf approvals ls` finds them
    plan = SitePlan(settings, pool_concurrency=POOL_CONCURRENCY, continuous_cron=None)
    with contextlib.redirect_stdout(io.StringIO()):  # Prefect prints a table per deployment
        deployed = retrying(lambda: deploy_site(plan))  # idempotent; a busy SQLite Prefect server answers 503
    pid, _ = start_worker(plan, env=layout.site_env(site), home=folders.home)
    deployments = len(deployed.deployments)
    return f"{site}: pool {deployed.pool.name}, {deployments} deployments, worker pid {pid}; {runner_note}"


def start_preparation(site: str, benchmark_id: int, raw: tuple[Path, Path], name: str) -> str:
    """The site's data owner starts prepare_dataset on its own pool; returns the flow run id."""
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment

    from medperf.demo.transient import retrying

    parameters = {"benchmark_id": benchmark_id, "data_path": str(raw[0]), "labels_path": str(raw[1]), "name": name}
    run = retrying(lambda: run_deployment(f"prepare_dataset/{site}", parameters=parameters, timeout=0,
                                          as_subflow=False))
    if not isinstance(run, FlowRun):
        raise TypeError("start_preparation must be called from synchronous code")
    return str(run.id)
