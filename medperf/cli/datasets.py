"""`medperf dataset`: list and view datasets (registered by a site's prepare flow) and associate them."""

from pathlib import Path
from typing import Annotated

import typer

from medperf.cli.context import open_client
from medperf.cli.inputs import read_json_mapping, validated
from medperf.cli.lifecycle import add_lifecycle_commands, add_rename_command
from medperf.cli.options import (
    BenchmarkFilter,
    BenchmarkId,
    DatasetId,
    JsonFlag,
    Limit,
    Offset,
    OwnerFilter,
    StateFilter,
)
from medperf.cli.output import echo_json, print_entity, print_message, print_page
from medperf.errors import ConfigError
from medperf.schemas import DatasetCreate, DatasetUpdate

app = typer.Typer(name="dataset", help="Datasets (prepared at the data sites).", no_args_is_help=True)
COLUMNS = ("id", "name", "owner_id", "site", "benchmark_id", "state", "updated_at")


@app.command("ls")
def list_datasets(
    ctx: typer.Context,
    benchmark: BenchmarkFilter = None,
    site: Annotated[str | None, typer.Option("--site", help="Only datasets of this site.")] = None,
    owner: OwnerFilter = None,
    state: StateFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
    as_json: JsonFlag = False,
) -> None:
    """List the datasets you may see."""
    with open_client(ctx) as client:
        page = client.datasets.list(
            limit=limit, offset=offset, owner_id=owner, state=state, benchmark_id=benchmark, site=site
        )
    print_page(page, COLUMNS, as_json=as_json, title="datasets")


@app.command("view")
def view(ctx: typer.Context, dataset_id: int, as_json: JsonFlag = False) -> None:
    """Show one dataset, with its released statistics."""
    with open_client(ctx) as client:
        print_entity(client.datasets.get(dataset_id), as_json=as_json)


@app.command("associate")
def associate(ctx: typer.Context, benchmark: BenchmarkId, dataset: DatasetId, as_json: JsonFlag = False) -> None:
    """Ask to evaluate a dataset in a benchmark; the other party approves (or the benchmark's policy does)."""
    with open_client(ctx) as client:
        association = client.associations.request_dataset(benchmark, dataset)
    print_entity(association, as_json=as_json, title=f"dataset association: {association.approval_status.value}")


@app.command("submit")
def submit(
    ctx: typer.Context,
    file: Annotated[Path, typer.Option("--file", help="dataset.json: a DatasetCreate record.")],
    as_json: JsonFlag = False,
) -> None:
    """Register a dataset record from a JSON file (normally the prepare flow does this)."""
    source = f"dataset file {file}"
    payload = validated(DatasetCreate, read_json_mapping(file, "dataset file"), source=source)
    with open_client(ctx) as client:
        print_entity(client.datasets.create(payload), as_json=as_json, title="dataset registered")


@app.command("verify")
def verify(
    dataset_id: int,
    full: Annotated[
        bool, typer.Option("--full", help="Re-read every file, not only those whose stamp changed.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Check on this site that a prepared dataset still matches its prepared hash (changed files only)."""
    from medperf.cli.site_commands import site_settings
    from medperf.site.dataset_index import DatasetIndex

    check = DatasetIndex(site_settings().data_root).verify(dataset_id, full=full)
    if not check.intact:
        raise ConfigError(
            f"dataset {dataset_id}: the prepared data on this site no longer matches its hash; prepare it again"
        )
    if as_json:
        echo_json(
            {
                "dataset_id": dataset_id,
                "intact": True,
                "files": check.files,
                "files_read": check.rehashed,
                "full": check.full,
                "seconds": round(check.seconds, 3),
            }
        )
        return
    how = "full re-hash" if check.full else "incremental check"
    print_message(
        f"dataset {dataset_id} intact ({how}: {check.files} files, {check.rehashed} read, {check.seconds:.2f} s)"
    )


add_lifecycle_commands(
    app, "dataset", lambda client: client.datasets, DatasetUpdate, "Its standing consents are revoked with it."
)
add_rename_command(app, "dataset", lambda client: client.datasets, DatasetUpdate)
