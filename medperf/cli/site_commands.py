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
    from medperf.prefect_tls import share_prefect_tls_contexts
    from medperf.site.saved_settings import site_settings_env

    share_prefect_tls_contexts()  # the flow's clients and the form polling share one CA bundle load

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
        submit_decision(default_home(), settings.data_root, pending, approve=approve, comment="via medperf CLI")
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
    from medperf.site.outbox import Outbox
    from medperf.site.run_store import RunStore

    secret = load_or_create_site_secret(default_home())
    data_root = site_settings().data_root
    uploads = {entry.flow_run_id: entry for entry in Outbox(data_root).entries()}
    table = Table("flow run", "kind", "title", "sha256", "code", "decision", "upload")
    for item in RunStore(data_root).approvals():
        entry = uploads.get(item.flow_run_id)
        unsent = entry is not None and entry.status != "sent"
        if item.decision and not all_ and not unsent:  # an approved upload still waiting is always shown
            continue
        code = approval_code(secret, item.flow_run_id, item.payload_sha256)
        upload = "-" if entry is None else entry.status + (f" (next try {entry.next_attempt_at})"
                                                           if entry.status == "failed-will-retry" else "")
        table.add_row(item.flow_run_id, item.kind, item.title, item.payload_sha256[:12], code, item.decision or "-",
                      upload)
    console.print(table)


@approvals_app.command("send")
def send_approved_now() -> None:
    """Send now every approved upload still waiting in this site's outbox (the site also does it every 5 min)."""
    from medperf.site.outbox_sender import send_due

    tried = send_due(site_settings().data_root, everything=True)
    if not tried:
        console.print("nothing waiting: every approved upload has reached the registry")
    for entry in tried:
        said = f"{entry.kind} of run {entry.flow_run_id}: {entry.status}"
        console.print(said + (f" (registry id {entry.registry_id})" if entry.registry_id else f": {entry.last_error}"))


DECISION_REPORTS = {
    "approved": "approved: the run uploads exactly this payload",
    "rejected": "rejected: nothing will be uploaded",
    "wrong-code": "the run did not accept the approval code; it asks again (`medperf approvals ls`)",
    "invalid-rows": "the run ignored the answer: --reject-rows named a row its table does not have; it asks again",
    "sent": "answer sent; the run records it when it restarts (`medperf approvals ls` shows the decision)",
}


@app.command("approve")
def approve(
    run_id: Annotated[str, typer.Argument(help="Flow run id (see `medperf approvals ls`).")],
    reject: Annotated[bool, typer.Option("--reject", help="Reject: nothing is uploaded.")] = False,
    comment: Annotated[str, typer.Option("--comment", help="Why.")] = "",
    reject_rows: Annotated[
        str, typer.Option("--reject-rows", help="A batch: the rows NOT to upload, e.g. '2,5'; the others are.")
    ] = "",
) -> None:
    """Approve (or reject) a waiting upload from this site machine, via the run-input API."""
    from flows.interactive import pending_approval, submit_decision

    data_root = site_settings().data_root
    pending = pending_approval(data_root, run_id)
    _show_payload(pending.title, pending.payload, "(sent with your decision)")
    outcome = submit_decision(default_home(), data_root, pending, approve=not reject, comment=comment,
                              reject_rows=reject_rows)
    console.print(DECISION_REPORTS.get(outcome, outcome))


@test_app.command("run")
def test_run(
    benchmark: BenchOpt,
    model: Annotated[int | None, typer.Option("-m", "--model", help="Model id (default: the reference model).")] = None,
    set_reference: Annotated[
        bool,
        typer.Option("--set-reference", help="Benchmark owner: store the demo data's statistics as the reference "
                     "each site's drift is scored against (before the benchmark is in OPERATION)."),
    ] = False,
) -> None:
    """Run the benchmark's whole pipeline on its demo data on this machine; nothing is uploaded."""
    from medperf.schemas import BenchmarkUpdate
    from medperf.site.compatibility_test import run_compatibility_test
    from medperf.site.connections import site_registry, site_store

    with site_registry(default_home()) as registry:
        report = run_compatibility_test(
            registry, site_store(), site_settings(), benchmark, model, reference=set_reference
        )
        if set_reference:
            declared = registry.benchmarks.get(benchmark).task
            if declared is None:
                raise MedPerfError(f"benchmark {benchmark} declares no task; declare one (benchmark.yaml `task:`) "
                                   "before storing reference statistics")
            update = declared.model_copy(update={"reference_statistics": report["reference_statistics"]})
            registry.benchmarks.update(benchmark, BenchmarkUpdate(task=update))
            console.print(f"benchmark {benchmark}: reference statistics of the demo data stored; each site's "
                          "prepare now scores its drift against them")
    console.print(Panel(json.dumps(report, indent=2, sort_keys=True), title="compatibility test (not uploaded)"))
