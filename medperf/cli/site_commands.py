"""Site commands: `medperf prepare`, `execute`, `approvals ls`, `approve`, `test run` (on the site machine)."""

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.prompt import Confirm
from rich.table import Table

from medperf.errors import MedPerfError
from medperf.settings import SiteSettings, default_home
from medperf.site.approval_form import REJECTED_STATE

app = typer.Typer(help="Data-site commands.")
approvals_app = typer.Typer(name="approvals", help="Uploads waiting for the data owner's decision.")
test_app = typer.Typer(name="test", help="Compatibility tests on a benchmark's demo data.")
app.add_typer(approvals_app)
app.add_typer(test_app)
console = Console(highlight=False)

BenchOpt = Annotated[int, typer.Option("-b", "--benchmark", help="Benchmark id.")]
YesOpt = Annotated[bool, typer.Option("--yes", help="Approve after showing the payload (no prompt).")]


def _show_payload(title: str, payload: dict[str, Any], code: str) -> None:
    body = json.dumps(payload, indent=2, sort_keys=True)
    console.print(Panel(body, title=f"{title} — exactly this would be uploaded", expand=False))
    console.print(f"approval code on this site: [bold]{code}[/bold]")


def site_settings() -> SiteSettings:
    """This machine's site settings: MEDPERF_SITE_* variables, else what `medperf site up` saved in the home."""
    from medperf.site.saved_settings import load_site_settings

    return load_site_settings(default_home())


def _run_interactively(flow: Any, parameters: dict[str, Any], yes: bool) -> Any:
    """Run the flow here; at the approval step show the payload and ask (or approve with --yes)."""
    import os

    from flows.interactive import site_code_for, start_in_process, submit_decision, wait_for_form_or_end
    from medperf.site.saved_settings import site_settings_env

    settings = site_settings()
    os.environ.update(site_settings_env(settings))  # the flow, run in this process, reads the same settings
    run = start_in_process(flow, parameters)
    console.print(f"flow run {run.flow_run_id} started")
    with console.status("running the site steps..."):
        pending = wait_for_form_or_end(run, settings.data_root)
    if pending is not None:
        _show_payload(pending.title, pending.payload, site_code_for(default_home(), pending))
        interactive = sys.stdin.isatty()
        approve = yes or (interactive and Confirm.ask("Upload this payload?", default=False))
        if not yes and not interactive:
            console.print("not interactive and no --yes: rejecting (nothing is uploaded)")
        submit_decision(default_home(), pending, approve=approve, comment="via medperf CLI")
        with console.status("finishing..."):
            while not run.finished():
                run.thread.join(0.5)
    state = run.final_state()
    if state.name == REJECTED_STATE:
        raise MedPerfError(state.message or "rejected: nothing was uploaded")
    if not state.is_completed():
        raise MedPerfError(state.message or f"flow run {run.flow_run_id} ended in state {state.name}")
    return state.result()


@app.command("prepare")
def prepare(
    benchmark: BenchOpt,
    data: Annotated[Path, typer.Option("-d", "--data", help="Raw data folder.")],
    labels: Annotated[Path, typer.Option("-l", "--labels", help="Raw labels: a file (e.g. labels.csv) or a folder.")],
    name: Annotated[str | None, typer.Option("--name", help="Dataset name (default: the data folder's name).")] = None,
    yes: YesOpt = False,
) -> None:
    """Prepare a dataset for a benchmark, show its statistics, and register it once approved."""
    from flows.prepare_dataset import prepare_dataset

    params = {
        "benchmark_id": benchmark,
        "data_path": str(data.resolve()),
        "labels_path": str(labels.resolve()),
        "name": name or data.resolve().name,
    }
    dataset_id = _run_interactively(prepare_dataset, params, yes)
    console.print(f"dataset {dataset_id} registered")


@app.command("execute")
def execute(
    benchmark: BenchOpt,
    dataset: Annotated[int, typer.Option("-d", "--dataset", help="Dataset id (prepared on this site).")],
    model: Annotated[int, typer.Option("-m", "--model", help="Model id.")],
    partial: Annotated[
        bool, typer.Option("--offer-partial", help="If the model crashes, offer a partial result.")
    ] = False,
    yes: YesOpt = False,
) -> None:
    """Evaluate a model on a prepared dataset and upload the result once approved."""
    from flows.evaluate_model import evaluate_model

    params = {"benchmark_id": benchmark, "model_id": model, "dataset_id": dataset, "offer_partial": partial}
    result_id = _run_interactively(evaluate_model, params, yes)
    console.print(f"result {result_id} finalized")


@approvals_app.command("ls")
def list_approvals(
    all_: Annotated[bool, typer.Option("--all", help="Also show decided ones.")] = False,
) -> None:
    """Payloads recorded on this site with their approval codes (only this machine can show them)."""
    from medperf.site.approval_code import approval_code, load_or_create_site_secret
    from medperf.site.run_store import RunStore

    secret = load_or_create_site_secret(default_home())
    table = Table("flow run", "kind", "title", "sha256", "code", "decision")
    for item in RunStore(site_settings().data_root).approvals():
        if item.decision and not all_:
            continue
        code = approval_code(secret, item.flow_run_id, item.payload_sha256)
        table.add_row(item.flow_run_id, item.kind, item.title, item.payload_sha256[:12], code, item.decision or "-")
    console.print(table)


@app.command("approve")
def approve(
    run_id: Annotated[str, typer.Argument(help="Flow run id (see `medperf approvals ls`).")],
    reject: Annotated[bool, typer.Option("--reject", help="Reject: nothing is uploaded.")] = False,
    comment: Annotated[str, typer.Option("--comment", help="Why.")] = "",
) -> None:
    """Approve (or reject) a waiting upload from this site machine, via the run-input API."""
    from flows.interactive import pending_approval, submit_decision

    pending = pending_approval(site_settings().data_root, run_id)
    _show_payload(pending.title, pending.payload, "(sent with your decision)")
    submit_decision(default_home(), pending, approve=not reject, comment=comment)
    console.print("rejected: nothing will be uploaded" if reject else "approved: the run resumes and uploads")


@test_app.command("run")
def test_run(
    benchmark: BenchOpt,
    model: Annotated[int | None, typer.Option("-m", "--model", help="Model id (default: the reference model).")] = None,
) -> None:
    """Run the benchmark's whole pipeline on its demo data on this machine; nothing is uploaded."""
    from medperf.site.compatibility_test import run_compatibility_test
    from medperf.site.connections import site_registry, site_store

    with site_registry(default_home()) as registry:
        report = run_compatibility_test(registry, site_store(), site_settings(), benchmark, model)
    console.print(Panel(json.dumps(report, indent=2, sort_keys=True), title="compatibility test (not uploaded)"))
