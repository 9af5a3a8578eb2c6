"""`medperf container`: register container images with their MedPerf config, list and view them."""

from pathlib import Path
from typing import Annotated

import typer

from medperf.cli.context import open_client
from medperf.cli.inputs import read_yaml_mapping, validated
from medperf.cli.lifecycle import add_lifecycle_commands, add_rename_command
from medperf.cli.options import JsonFlag, Limit, Offset, OwnerFilter, StateFilter
from medperf.cli.output import print_entity, print_page
from medperf.schemas import ContainerCreate, ContainerUpdate

app = typer.Typer(name="container", help="Containers (data preparation, models, evaluators).", no_args_is_help=True)
COLUMNS = ("id", "name", "owner_id", "image", "state", "created_at")
FLAGS = {
    "name": "--name",
    "config": "--config",
    "parameters": "--parameters",
    "image": "--image",
    "image_digest": "--digest",
    "additional_files_url": "--additional-files-url",
    "additional_files_sha256": "--additional-files-sha256",
}


@app.command("submit")
def submit(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Container name.")],
    config: Annotated[Path, typer.Option("--config", help="container_config.yaml (MedPerf format).")],
    image: Annotated[str, typer.Option("--image", help="Docker image reference, e.g. medperf/prep:1.0.")],
    parameters: Annotated[Path | None, typer.Option("--parameters", help="parameters.yaml.")] = None,
    digest: Annotated[str | None, typer.Option("--digest", help="Pinned image id, sha256:<64 hex>.")] = None,
    additional_files_url: Annotated[
        str | None, typer.Option("--additional-files-url", help="URL of the additional-files tarball.")
    ] = None,
    additional_files_sha256: Annotated[
        str | None, typer.Option("--additional-files-sha256", help="sha256 of that tarball.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a container: the YAML files are parsed here and sent as data."""
    payload = validated(
        ContainerCreate,
        {
            "name": name,
            "config": read_yaml_mapping(config, "container config"),
            "parameters": read_yaml_mapping(parameters, "parameters file") if parameters else None,
            "image": image,
            "image_digest": digest,
            "additional_files_url": additional_files_url,
            "additional_files_sha256": additional_files_sha256,
        },
        source="the command line",
        flags=FLAGS,
    )
    with open_client(ctx) as client:
        print_entity(client.containers.create(payload), as_json=as_json, title="container registered")


@app.command("ls")
def list_containers(
    ctx: typer.Context,
    owner: OwnerFilter = None,
    state: StateFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
    as_json: JsonFlag = False,
) -> None:
    """List containers."""
    with open_client(ctx) as client:
        page = client.containers.list(limit=limit, offset=offset, owner_id=owner, state=state)
    print_page(page, COLUMNS, as_json=as_json, title="containers")


@app.command("view")
def view(ctx: typer.Context, container_id: int, as_json: JsonFlag = False) -> None:
    """Show one container, with its config."""
    with open_client(ctx) as client:
        print_entity(client.containers.get(container_id), as_json=as_json)


add_lifecycle_commands(app, "container", lambda client: client.containers, ContainerUpdate)
add_rename_command(app, "container", lambda client: client.containers, ContainerUpdate)
