"""Campaign commands: `benchmark run|status`, `result history` and the `consent` group.

Importing this module adds `run` and `status` to the `benchmark` group and `history` to the `result` group;
its own `app` is the `consent` group (grant, ls, revoke).
"""

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.live import Live

from medperf.campaign.cells import RunState
from medperf.campaign.history import result_history
from medperf.campaign.matrix import StatusMatrix, build_matrix
from medperf.campaign.render import is_settled, matrix_table
from medperf.campaign.snapshot import load_snapshot
from medperf.cli import benchmarks, results
from medperf.cli.context import open_client
from medperf.cli.options import BenchmarkFilter, BenchmarkId, DatasetFilter, DatasetId, JsonFlag, ModelId
from medperf.cli.output import echo_json, print_entity, print_message, print_page
from medperf.client import RegistryClient
from medperf.errors import ConfigError
from medperf.schemas import StandingConsentCreate

if TYPE_CHECKING:
    from medperf.campaign.dispatch import DispatchedRun

app = typer.Typer(name="consent", help="Standing consent for scheduled uploads.", no_args_is_help=True)
console = Console(highlight=False)
REFRESH_S = 2.0
CONSENT_COLUMNS = ("id", "benchmark_id", "dataset_id", "granted_by", "expires_at", "revoked", "created_at")

Models = Annotated[list[int] | None, typer.Option("-m", "--model", help="Only this model (repeatable).")]
Datasets = Annotated[list[int] | None, typer.Option("-d", "--dataset", help="Only this dataset (repeatable).")]


def _prefect_configured() -> bool:
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value() or os.environ.get("PREFECT_API_URL"))


def _runs(benchmark_id: int) -> dict[tuple[int, int], RunState]:
    if not _prefect_configured():
        return {}
    from medperf.campaign.prefect_runs import latest_runs

    return latest_runs(benchmark_id)


def current_matrix(client: RegistryClient, benchmark_id: int) -> StatusMatrix:
    """The registry's view combined with the Prefect runs (when PREFECT_API_URL is set)."""
    return build_matrix(load_snapshot(client, benchmark_id), _runs(benchmark_id))


@benchmarks.app.command("run")
def run_campaign(
    ctx: typer.Context,
    benchmark: BenchmarkId,
    model: Models = None,
    dataset: Datasets = None,
    watch: Annotated[bool, typer.Option("--watch/--no-watch", help="Show a live table until runs settle.")] = True,
    watch_timeout: Annotated[float, typer.Option("--watch-timeout", min=0, help="Stop watching after N s.")] = 600,
    per_site: Annotated[
        bool,
        typer.Option("--per-site/--per-pair", help="One run per site for all its pairs, whose data owner approves "
                     "once with a table of every result (approve all or reject rows); or one run per pair."),
    ] = True,
) -> None:
    """Start an evaluation on each site for every approved pair without a current result."""
    if not _prefect_configured():
        raise ConfigError("PREFECT_API_URL is not set; point it at the Prefect server the sites' workers poll")
    from medperf.campaign.dispatch import DispatchInterrupted, dispatch_with_retry

    with open_client(ctx) as client:
        try:
            done = dispatch_with_retry(lambda: load_snapshot(client, benchmark), benchmark,
                                       models=model or (), datasets=dataset or (), per_site=per_site)
        except DispatchInterrupted as err:
            _print_dispatched(err.created)
            raise
        for silent in done.crashed:
            print_message(f"run {silent.flow_run_id} was {silent.state_type} without a heartbeat for "
                          f"{silent.silent_for_s:.0f} s: marked crashed (its site process died)")
        _print_dispatched(done.created)
        runs = len({run.flow_run_id for run in done.created})
        print_message(f"{len(done.created)} evaluation(s) dispatched" + (f" in {runs} site run(s)" if per_site else ""))
        if not watch:
            return
        deadline = time.monotonic() + watch_timeout
        matrix = current_matrix(client, benchmark)
        try:
            with Live(matrix_table(matrix), console=console, refresh_per_second=2) as live:
                while not is_settled(matrix) and time.monotonic() < deadline:
                    time.sleep(REFRESH_S)
                    matrix = current_matrix(client, benchmark)
                    live.update(matrix_table(matrix))
        except KeyboardInterrupt:
            pass
    print_message(f"runs continue on the sites; see `medperf benchmark status -b {benchmark}`")


def _print_dispatched(created: "list[DispatchedRun]") -> None:
    for run in created:
        print_message(
            f"model {run.pair.model_id} x dataset {run.pair.dataset_id} at {run.pair.site}: "
            f"run {run.flow_run_id} ({run.reason})"
        )


@benchmarks.app.command("status")
def campaign_status(
    ctx: typer.Context,
    benchmark: BenchmarkId,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Also write the matrix as CSV here.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The model x site matrix: done, awaiting approval, running, queued, late, failed, rejected, pending or missing."""
    with open_client(ctx) as client:
        matrix = current_matrix(client, benchmark)
    if csv_file is not None:
        matrix.write_csv(csv_file)
    if as_json:
        echo_json(
            {
                "benchmark_id": matrix.benchmark_id,
                "sites": matrix.sites,
                "models": [
                    {"id": model_id, "name": name, **{s: matrix.cell(model_id, s).value for s in matrix.sites}}
                    for model_id, name in matrix.models
                ],
            }
        )
        return
    console.print(matrix_table(matrix))
    counts = ", ".join(f"{n} {status.value}" for status, n in sorted(matrix.counts().items()))
    print_message(f"pairs: {counts or 'none'}" + (f"; CSV written to {csv_file}" if csv_file else ""))


@results.app.command("history")
def history(
    ctx: typer.Context,
    benchmark: BenchmarkId,
    model: ModelId,
    site: Annotated[str | None, typer.Option("--site", help="Only results at this site.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """How a model did over time: its finalized results, oldest first."""
    with open_client(ctx) as client:
        entries = result_history(client, benchmark, model, site=site)
    if as_json:
        echo_json([{**e.__dict__, "finalized_at": e.finalized_at.isoformat()} for e in entries])
        return
    from rich.table import Table

    table = Table(title=f"model {model} in benchmark {benchmark}", title_justify="left")
    for column in ("finalized_at", "site", "dataset", "model container", "evaluator", "metrics"):
        table.add_column(column)
    for e in entries:
        metrics = ", ".join(f"{k}={v}" for k, v in sorted(e.metrics.items()))
        table.add_row(
            e.finalized_at.strftime("%Y-%m-%d %H:%M:%S"),
            e.site,
            str(e.dataset_id),
            str(e.model_container_id),
            str(e.evaluator_container_id),
            ("PARTIAL " if e.partial else "") + metrics,
        )
    console.print(table)


@app.command("grant")
def grant(
    ctx: typer.Context,
    benchmark: BenchmarkId,
    dataset: DatasetId,
    expires: Annotated[str, typer.Option("--expires", help="Expiry date, e.g. 2027-01-01 (UTC).")],
    as_json: JsonFlag = False,
) -> None:
    """Pre-approve scheduled uploads of this dataset's results in this benchmark until --expires."""
    try:
        moment = datetime.fromisoformat(expires)
    except ValueError:
        raise ConfigError(f"--expires {expires!r} is not a date; use YYYY-MM-DD or an ISO timestamp") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment <= datetime.now(UTC):
        raise ConfigError(f"--expires {expires} is in the past; give a future date")
    with open_client(ctx) as client:
        consent = client.consents.create(StandingConsentCreate(benchmark_id=benchmark, dataset_id=dataset,
                                                               expires_at=moment))
    print_entity(consent, as_json=as_json, title="standing consent granted")


@app.command("ls")
def list_consents(
    ctx: typer.Context,
    benchmark: BenchmarkFilter = None,
    dataset: DatasetFilter = None,
    active: Annotated[bool | None, typer.Option("--active/--all", help="Only consents in force.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List standing consents."""
    with open_client(ctx) as client:
        page = client.consents.list(benchmark_id=benchmark, dataset_id=dataset, active=active, limit=500)
    print_page(page, CONSENT_COLUMNS, as_json=as_json, title="standing consents")


@app.command("revoke")
def revoke(ctx: typer.Context, consent_id: int, as_json: JsonFlag = False) -> None:
    """Revoke a standing consent: later scheduled runs pause for approval again."""
    with open_client(ctx) as client:
        print_entity(client.consents.revoke(consent_id), as_json=as_json, title="standing consent revoked")
