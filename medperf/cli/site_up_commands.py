"""`medperf site up|status|down`: a data site's work pool, deployments and background worker."""

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

import typer

from medperf.cli.output import print_message
from medperf.settings import SiteSettings, default_home

app = typer.Typer(
    name="site", help="This machine as a data site: work pool, deployments, worker.", no_args_is_help=True
)

SiteName = Annotated[str, typer.Option("--site", help="Site name (= its work pool; DatasetPublic.site).")]
PoolType = Literal["process", "docker", "kubernetes"]


def _prefect_urls() -> tuple[str | None, str | None]:
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL

    api = PREFECT_API_URL.value()
    ui = PREFECT_UI_URL.value() or (api[: -len("/api")] if api and api.endswith("/api") else api)
    return api, ui


def _register_blocks(settings: SiteSettings, registry_url: str) -> list[str]:
    """The site's data-site and registry-connection blocks; the token stays in the profiles file on this machine."""
    import os

    from blocks.site_blocks import register_site_blocks
    from medperf.profiles import ProfileStore
    from medperf.retry_policy import PREFECT_CALLS

    profiles = ProfileStore(default_home())
    profile, _ = profiles.resolve(os.environ.get("MEDPERF_PROFILE") or None)
    return PREFECT_CALLS.call(lambda: register_site_blocks(settings, registry_url, profile, profiles.path))


@app.command("up")
def up(
    site: SiteName,
    data_root: Annotated[
        Path | None, typer.Option("--data-root", help="Site data folder (default: MEDPERF_SITE_DATA_ROOT).")
    ] = None,
    runner: Annotated[
        str | None, typer.Option("--runner", help="docker or sandbox (default: MEDPERF_SITE_RUNNER).")
    ] = None,
    pool_type: Annotated[str, typer.Option("--pool-type", help="process, docker or kubernetes.")] = "process",
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="Runs at once on this site.")] = 2,
    cron: Annotated[
        str, typer.Option("--continuous-cron", help="Schedule of the continuous evaluation (cron).")
    ] = "0 2 * * *",
    interval: Annotated[
        int | None, typer.Option("--continuous-interval", min=10, help="Or every N seconds (tests, demos).")
    ] = None,
    continuous_pool: Annotated[
        str | None, typer.Option("--continuous-pool", help="Run the continuous evaluation on another pool.")
    ] = None,
    start_worker: Annotated[bool, typer.Option("--worker/--no-worker", help="Start the worker.")] = True,
    approval_wait: Annotated[
        str | None,
        typer.Option("--approval-wait", help="suspend (frees the process; days) or pause (polls; minutes)."),
    ] = None,
) -> None:
    """Check the site's settings, create or update its pool and deployments, and start its worker."""
    from deployments.site_checks import check_data_root, check_prefect, check_registry, check_runner
    from deployments.site_deployments import deploy_site
    from deployments.site_plan import SitePlan
    from deployments.site_worker import crash_dead_runs, worker_files
    from deployments.site_worker import start_worker as start
    from medperf.site.saved_settings import save_site_settings, saved_for

    overrides: dict[str, object] = {**saved_for(default_home(), site), "name": site}
    if data_root is not None:
        overrides["data_root"] = data_root.expanduser().resolve()
    if runner is not None:
        overrides["runner"] = runner
    if approval_wait is not None:
        if approval_wait not in ("suspend", "pause"):
            raise typer.BadParameter("must be suspend or pause", param_hint="--approval-wait")
        overrides["approval_wait"] = approval_wait
    settings = SiteSettings(**overrides)  # type: ignore[arg-type]
    if pool_type not in ("process", "docker", "kubernetes"):
        raise typer.BadParameter("must be process, docker or kubernetes", param_hint="--pool-type")
    check_data_root(settings)
    runner_note = check_runner(settings)
    registry_url = check_registry()
    api_url, ui_url = _prefect_urls()
    check_prefect(api_url)
    print_message(f"site {site}: data root {settings.data_root}; {runner_note}; registry {registry_url}")
    saved = save_site_settings(default_home(), settings)
    print_message(f"site settings saved to {saved} (later commands need only MEDPERF_HOME={default_home()})")
    plan = SitePlan(
        settings,
        pool_type=pool_type,  # type: ignore[arg-type]
        pool_concurrency=concurrency,
        continuous_cron=None if interval else cron,
        continuous_interval=timedelta(seconds=interval) if interval else None,
        continuous_pool=continuous_pool,
    )
    from medperf.retry_policy import PREFECT_CALLS

    created = PREFECT_CALLS.call(lambda: deploy_site(plan))  # idempotent; a busy Prefect server answers 503
    for name in created.deployments:
        print_message(f"deployment {name} ready")
    for name in _register_blocks(settings, registry_url):
        print_message(f"block {name} registered (the site's settings, to view and edit in the UI's Blocks page)")
    if start_worker:
        for dead in crash_dead_runs(plan):
            print_message(f"run {dead.flow_run_id}: its process (pid {dead.pid}) died with the last worker; "
                          f"{'marked crashed' if dead.marked_crashed else 'it was ' + dead.prefect_state.lower()} "
                          "and recorded as failed on this site")
        pid, started = start(plan)
        files = worker_files(site)
        print_message(f"worker {'started' if started else 'already running'} (pid {pid}, log {files.log_file})")
    print_message(f"Prefect UI: {ui_url}")


@app.command("status")
def status(site: SiteName) -> None:
    """Whether the site's worker runs, its pool's state and the deployments the server knows."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterTags
    from prefect.exceptions import ObjectNotFound

    from deployments.site_worker import running_pid, worker_files

    files = worker_files(site)
    pid = running_pid(files)
    print_message(f"worker: {'running (pid ' + str(pid) + ')' if pid else 'not running'}; log {files.log_file}")
    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(site)
        except ObjectNotFound:
            print_message(f"work pool {site}: missing (run `medperf site up --site {site}`)")
            return
        workers = client.read_workers_for_work_pool(site)
        online = [w.name for w in workers if str(w.status.value if w.status else "").upper() == "ONLINE"]
        print_message(
            f"work pool {site}: {pool.type}, status {pool.status.value if pool.status else '-'}, "
            f"concurrency {pool.concurrency_limit}, workers online {online or 'none'}"
        )
        tagged = DeploymentFilter(tags=DeploymentFilterTags(all_=[f"medperf-site:{site}"]))
        for deployment in client.read_deployments(deployment_filter=tagged):
            print_message(f"deployment {deployment.name} (pool {deployment.work_pool_name})")
    _, ui = _prefect_urls()
    print_message(f"Prefect UI: {ui}")


@app.command("down")
def down(site: SiteName) -> None:
    """Stop the site's worker; queued runs wait (Late) until it comes back."""
    from deployments.site_worker import stop_worker

    pid = stop_worker(site)
    print_message(f"worker of {site} stopped (pid {pid})" if pid else f"no worker of {site} was running")
