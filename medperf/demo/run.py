"""`medperf demo`: the whole federated evaluation of the breast-cancer benchmark on this machine, step by step."""

import os
import shutil
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from medperf.bundle import BundleIdentities, register_benchmark_folder
from medperf.demo.approvals import Answer, ApprovalDesk
from medperf.demo.continuous import switch_on_schedules, wait_for_firings
from medperf.demo.layout import MARKER, QUIET_PREFECT, DemoLayout, SiteFolders
from medperf.demo.operation import approve_and_operate, associate_dataset, associate_models
from medperf.demo.options import DemoOptions, raw_site_paths
from medperf.demo.people import BENCHMARK_OWNER, MODEL_OWNER, DemoPeople, create_people
from medperf.demo.sites import site_up, start_preparation
from medperf.demo.stack import DemoState, is_running, start_stack, stop_demo, wait_for_prefect, write_state
from medperf.demo.steps import StepLog
from medperf.errors import ConfigError
from medperf.prefect_tls import share_prefect_tls_contexts
from medperf.settings import ObjectStoreSettings, SiteSettings
from medperf.site.compatibility_test import demo_data_check
from medperf.site.run_store import PendingApproval
from medperf.storage import make_store

STEPS = 9


def prepare_home(layout: DemoLayout) -> None:
    """A fresh demo folder: refuse a running demo or a foreign non-empty folder; clear an old stopped demo."""
    root = layout.root
    if is_running(layout):
        raise ConfigError(f"a demo is already running in {root}; stop it first: medperf demo down --home {root}")
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise ConfigError(f"--home {root} is not empty and holds no earlier demo; choose an empty folder")
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("created by `medperf demo`; `medperf demo` may delete this folder\n")


def _decider(console: Console, options: DemoOptions, ui_url: str) -> Any:
    def decide(site: SiteFolders, pending: PendingApproval, code: str) -> Answer:
        if options.assume_yes:
            return "approve"
        console.print(Text(f"    approval code on {site.name}'s machine: {code} "
                           f"(or answer in the Prefect UI {ui_url}/runs/flow-run/{pending.flow_run_id})"))
        choice = typer.prompt("    approve here (y), reject (n) or answer in the Prefect UI (u)?", default="y")
        return {"y": "approve", "n": "reject", "u": "ui"}.get(choice.strip().lower()[:1], "reject")  # type: ignore[return-value]

    return decide


def _print_leaderboard(console: Console, client: Any, benchmark_id: int, report: Path) -> dict[str, Any]:
    import json

    from medperf.leaderboard.fetch import fetch_leaderboard
    from medperf.leaderboard.render import to_json, to_rich_table
    from medperf.leaderboard.report import write_report

    board = fetch_leaderboard(client, benchmark_id)
    wide = console if console.is_terminal else Console(highlight=False, width=160)  # logs: no truncated names
    for spec in board.task.metrics:
        wide.print(to_rich_table(board, spec.name))
    html = write_report(board, report)
    (report / "leaderboard.json").write_text(to_json(board))
    console.print(f"  report: {html} (plot {report / 'leaderboard.png'}); JSON: {report / 'leaderboard.json'}")
    data: dict[str, Any] = json.loads(to_json(board))
    return data


def run_demo(options: DemoOptions, console: Console | None = None) -> dict[str, Any]:
    """Run every step; returns the leaderboard JSON and the timings. Stops the stack at the end with keep=False."""
    console = console or Console(highlight=False)
    share_prefect_tls_contexts()  # the approval desk and the campaign poll with a client per loop
    layout = DemoLayout(options.home.expanduser().resolve())
    prepare_home(layout)
    log = StepLog(console, STEPS + (0 if options.keep else 1))
    os.environ.update({**QUIET_PREFECT, "PREFECT_HOME": str(layout.prefect / "client")})
    os.environ.update(layout.store_env(layout.central / "cache"))
    os.environ["MEDPERF_HOME"] = str(layout.central)
    succeeded = False
    try:
        with log.step("Start the central stack: registry (SQLite), object store (folder), Prefect server (SQLite)",
                      f"MEDPERF_HOME={layout.registry} medperf server start --database-url "
                      f"sqlite:///{layout.registry}/registry.db",
                      f"PREFECT_HOME={layout.prefect} python -m medperf.prefect_server  # prefect server start"):
            state = start_stack(layout)
            state.sites = list(options.sites)
            write_state(layout, state)
            os.environ["PREFECT_API_URL"] = state.prefect_api_url
            log.note(f"registry {state.registry_url} is up; store {layout.store}; the Prefect server "
                     f"({state.prefect_ui_url}) finishes starting while the registry steps run")
        result = _with_prefect(state, lambda: _federated_run(options, layout, state, log, console))
        succeeded = True
        result["timings"] = log.as_dict()
        return result
    finally:
        if not options.keep:
            with log.step("Stop the stack", f"medperf demo down --home {layout.root}"):
                for line in stop_demo(layout.root):
                    log.note(f"stopped {line}")
        console.print(log.summary())
        if options.keep:
            _print_running(console, layout, succeeded)


def _with_prefect(state: DemoState, body: Any) -> Any:
    """Prefect calls of this process go to the demo's server; a 503 from its busy SQLite database is retried
    by `medperf.demo.transient` with short waits instead of the client's own backoff (2+4+...+32 s)."""
    from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: state.prefect_api_url, PREFECT_CLIENT_MAX_RETRIES: 1}):
        return body()


def _print_running(console: Console, layout: DemoLayout, succeeded: bool) -> None:
    from medperf.demo.stack import read_state

    state = read_state(layout)
    if state is None:
        return
    console.print(Text(("The stack keeps running" if succeeded else "The demo failed; the stack keeps running "
                        "for inspection") + f": registry {state.registry_url}, Prefect UI {state.prefect_ui_url}",
                       style="bold"))
    console.print(f"  use it:  export MEDPERF_HOME={layout.central} PREFECT_API_URL={state.prefect_api_url}")
    console.print(f"  stop it: medperf demo down --home {layout.root}")


def dispatch_all(owner: Any, benchmark_id: int) -> list[str]:
    """`medperf benchmark run`: the campaign's dispatch, one run per site for all its pairs (retried on a busy
    Prefect server by the project's one retry policy); returns every run of the benchmark still in flight."""
    from medperf.campaign.dispatch import dispatch_with_retry
    from medperf.campaign.snapshot import load_snapshot

    return dispatch_with_retry(lambda: load_snapshot(owner, benchmark_id), benchmark_id, per_site=True).in_flight


def _raw(options: DemoOptions, site: str) -> tuple[Path, Path]:
    paths = raw_site_paths(options.example, site)
    if paths is None:
        raise ConfigError(f"{options.example}/data/{site}: no raw data and labels folders; see `medperf demo --help`")
    return paths


def _federated_run(options: DemoOptions, layout: DemoLayout, state: DemoState, log: StepLog,
                   console: Console) -> dict[str, Any]:
    sites = options.sites
    central = f"MEDPERF_HOME={layout.central}"
    with log.step("Create the people: admin, benchmark owner, model owner, one data owner per site",
                  "medperf server create-admin --email admin@demo.local --name 'Demo admin' --save-profile admin",
                  "medperf --profile admin user create --email committee@demo.local --name 'Benchmark committee'",
                  "medperf --profile admin token create USER_ID ; medperf auth login --profile benchmark-owner ..."):
        people: DemoPeople = create_people(layout, state.registry_url, sites)
        log.note(f"profiles admin, {BENCHMARK_OWNER}, {MODEL_OWNER} in {layout.central}/profiles.yaml; "
                 f"each data owner's profile on its site ({layout.root}/sites/<site>/home)")
    try:
        store = make_store(ObjectStoreSettings(kind="local", root=layout.store, cache_dir=layout.central / "cache"))
        with log.step(f"Register the benchmark folder {options.example.name} (containers, models, benchmark)",
                      f"{central} medperf --profile {BENCHMARK_OWNER} benchmark submit-folder {options.example} "
                      f"--model-owner-profile {MODEL_OWNER} --runner {options.registration_runner}"):
            committee_machine = SiteSettings(name="committee", data_root=layout.central / "demo-check",
                                             runner=options.registration_runner)
            done = register_benchmark_folder(
                options.example, BundleIdentities(people.benchmark_owner, people.model_owner), store,
                options.registration_runner, report=log.note,
                check=demo_data_check(store, committee_machine),
            )
        benchmark_id = done.benchmark.id
        with log.step("Approve the benchmark, associate the models, move everything to OPERATION",
                      f"medperf --profile admin benchmark approve {benchmark_id}",
                      f"medperf --profile {MODEL_OWNER} model associate -b {benchmark_id} -m MODEL_ID",
                      f"medperf --profile {BENCHMARK_OWNER} association approve ASSOCIATION_ID model"):
            approve_and_operate(done, people.admin, people.benchmark_owner, people.model_owner, log.note)
            associate_models(done, people.benchmark_owner, people.model_owner, log.note)
        with log.step("Bring up the sites: a work pool, deployments and a process worker each",
                      *(f"MEDPERF_HOME={layout.site(s).home} medperf site up --site {s} "
                        f"--runner {options.site_runner(s)}" for s in sites)):
            waited = time.monotonic()
            wait_for_prefect(layout, state)
            log.note(f"Prefect server up (waited {time.monotonic() - waited:.1f} s); UI {state.prefect_ui_url}")
            for site in sites:
                log.note(site_up(layout, site, options.site_runner(site)))
        desk = ApprovalDesk([layout.site(s) for s in sites], _decider(console, options, state.prefect_ui_url),
                            log.note)
        tag = options.example.name.replace("_", "-")
        with log.step("Prepare each site's data (prepare, sanity checks incl. Great Expectations, statistics) "
                      "and approve the statistics upload",
                      f"MEDPERF_HOME={layout.site(sites[0]).home} medperf prepare -b {benchmark_id} "
                      f"-d {_raw(options, sites[0])[0]} -l {_raw(options, sites[0])[1]} --name {sites[0]}-{tag}",
                      f"(the demo runs that flow on the site's pool: prefect deployment run "
                      f"prepare_dataset/{sites[0]} ...)",
                      f"MEDPERF_HOME={layout.site(sites[0]).home} medperf approvals ls ; medperf approve RUN_ID"):
            runs = {site: start_preparation(site, benchmark_id, _raw(options, site), f"{site}-{tag}") for site in sites}
            desk.finish(runs.values(), options.deadline_s, "data preparation")
        with log.step("Associate each dataset with the benchmark (data owner asks, benchmark owner approves)",
                      f"MEDPERF_HOME={layout.site(sites[0]).home} medperf dataset associate -b {benchmark_id} -d ID",
                      f"medperf --profile {BENCHMARK_OWNER} association approve ASSOCIATION_ID dataset"):
            for site in sites:
                owner = people.data_owners[site]
                me = owner.users.me()
                dataset = next(d for d in owner.datasets.list(owner_id=me.id, benchmark_id=benchmark_id).items)
                associate_dataset(benchmark_id, dataset.id, owner, people.benchmark_owner, log.note)
        with log.step("Run the campaign (benchmark owner, remotely) and approve each result at its site",
                      f"medperf --profile {BENCHMARK_OWNER} benchmark run -b {benchmark_id}",
                      "MEDPERF_HOME=<site home> medperf approvals ls ; medperf approve RUN_ID"):
            run_ids = dispatch_all(people.benchmark_owner, benchmark_id)
            log.note(f"{len(run_ids)} site run(s) dispatched to {', '.join(sites)}: each evaluates every pair of "
                     "its site and asks its data owner once, with a table of the results")
            desk.finish(run_ids, options.deadline_s, "evaluation campaign")
        with log.step("Continuous evaluation: switch on each site's schedule and watch it fire",
                      *(f"MEDPERF_HOME={layout.site(s).home} medperf site up --site {s} --continuous-cron '0 * * * *'"
                        for s in sites[:1])):
            firings = wait_for_firings(switch_on_schedules(list(sites)), options.deadline_s)
            for firing in firings:
                log.note(f"{firing.site}: scheduled run '{firing.run_name}' (due {firing.scheduled_for:%H:%M:%S} "
                         f"UTC) ended {firing.state}; it runs again every hour while the stack is up")
        with log.step("Leaderboard and report",
                      f"medperf --profile {BENCHMARK_OWNER} result leaderboard -b {benchmark_id} "
                      f"--report {layout.report}"):
            board = _print_leaderboard(console, people.benchmark_owner, benchmark_id, layout.report)
        return {"benchmark_id": benchmark_id, "leaderboard": board, "report": str(layout.report / "report.html"),
                "approvals": desk.counts}
    finally:
        people.close()
