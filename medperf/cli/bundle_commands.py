"""Benchmark folders: `medperf bundle check`, `medperf benchmark submit-folder`, `medperf container submit-folder`.

Importing this module adds `submit-folder` to the `benchmark` and `container` groups; its own `app` is the
`bundle` group (offline checks of a folder before anything is registered).
"""

import os
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from medperf.bundle import load_benchmark_file, load_container_project
from medperf.bundle.register import BundleIdentities, container_payload, register_benchmark_folder
from medperf.cli import benchmarks, containers
from medperf.cli.context import open_client
from medperf.cli.options import JsonFlag
from medperf.cli.output import console, echo_json, print_entity, print_message
from medperf.client import RegistryClient
from medperf.containers.tarball import check_packable
from medperf.errors import ConfigError
from medperf.profiles import ProfileStore
from medperf.settings import ObjectStoreSettings, SiteSettings, default_home
from medperf.site.compatibility_test import demo_data_check
from medperf.storage import make_store

app = typer.Typer(name="bundle", help="Check a benchmark folder before registering it.", no_args_is_help=True)

Folder = Annotated[Path, typer.Argument(help="The benchmark folder (with benchmark/benchmark.yaml).")]
Runner = Annotated[
    str, typer.Option("--runner", help="sandbox: source archives only; docker: also build and save each image.")
]


def _runner(value: str) -> Literal["sandbox", "docker"]:
    if value not in ("sandbox", "docker"):
        raise typer.BadParameter("must be sandbox or docker", param_hint="--runner")
    return "docker" if value == "docker" else "sandbox"


@app.command("check")
def check(folder: Folder) -> None:
    """Validate benchmark.yaml and every container project it names (nothing is sent anywhere)."""
    file = load_benchmark_file(folder)
    table = Table(title=f"{file.name} ({file.path})", title_justify="left")
    for column in ("role", "folder", "kind", "image", "parameters", "additional files"):
        table.add_column(column)
    roles = [("data preparation", file.prep_dir), ("evaluator", file.evaluator_dir)]
    roles += [(f"model {key}" + (" (reference)" if key == file.reference_model else ""), path)
              for key, path in file.models.items()]
    for role, path in roles:
        project = load_container_project(path)
        check_packable(path)  # what submit-folder would refuse to pack, refused here already
        table.add_row(role, os.path.relpath(path, file.root), project.kind, project.image,
                      "yes" if project.parameters is not None else "no",
                      "yes" if project.additional_files_dir else "no")
    console().print(table)
    print_message(f"demo dataset: {'yes' if file.demo_data else 'no'}; sanity suite: "
                  f"{'yes' if file.sanity_suite else 'no'}; release policy: {file.release_policy.model_dump()}")


def _committee_machine(runner: Literal["sandbox", "docker"]) -> SiteSettings:
    """Where the demo-data check runs: this machine's site settings when it is a site (limits, docker host),
    else the defaults with a work folder under MEDPERF_HOME; with the runner of --runner either way."""
    from medperf.site.saved_settings import load_site_settings

    home = default_home()
    try:
        settings = load_site_settings(home)
    except ConfigError:
        settings = SiteSettings(name="committee", data_root=home / "demo-check")
    return settings.model_copy(update={"runner": runner})


@benchmarks.app.command("submit-folder")
def submit_folder(
    ctx: typer.Context,
    folder: Folder,
    model_owner: Annotated[
        str | None,
        typer.Option("--model-owner-profile", help="Profile that registers the models (default: yours)."),
    ] = None,
    runner: Runner = "sandbox",
    no_demo_check: Annotated[
        bool,
        typer.Option("--no-demo-check", help="Register without first running the pipeline on the demo data."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Pack and register a benchmark folder's containers, models and benchmark (re-running reuses them).

    First the whole pipeline runs on the folder's demo data on this machine (prepare, sanity check, statistics,
    the reference model, the evaluator and its subgroups), and the release policy and the declared task are
    applied to what it produced, exactly as the sites will; a refusal registers nothing.
    """
    store = make_store(ObjectStoreSettings())
    check = None if no_demo_check else demo_data_check(store, _committee_machine(_runner(runner)))
    model_client: RegistryClient | None = None
    if model_owner:
        _, profile = ProfileStore().resolve(model_owner)
        model_client = RegistryClient(profile.server_url, profile.token)
    with open_client(ctx) as client:
        try:
            done = register_benchmark_folder(
                folder, BundleIdentities(client, model_client), store, _runner(runner),
                report=(lambda _line: None) if as_json else print_message, check=check,
            )
        finally:
            if model_client is not None:
                model_client.close()
    if as_json:
        echo_json({
            "benchmark": done.benchmark.model_dump(mode="json"),
            "containers": {"prep": done.prep.id, "evaluator": done.evaluator.id},
            "models": {key: model.id for key, model in done.models.items()},
            "reference_model": done.reference_model,
            "created": done.created,
        })
        return
    print_message(f"benchmark {done.benchmark.name} is id {done.benchmark.id} ({done.benchmark.approval_status.value});"
                  f" {len(done.created)} new registration(s); the admin approves it: "
                  f"`medperf benchmark approve {done.benchmark.id}`")


@containers.app.command("submit-folder")
def submit_container_folder(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Container project (container_config.yaml, code, ...).")],
    name: Annotated[str | None, typer.Option("--name", help="Registry name (default: the folder's name).")] = None,
    runner: Runner = "sandbox",
    as_json: JsonFlag = False,
) -> None:
    """Pack one container project into the object store and register it."""
    store = make_store(ObjectStoreSettings())
    payload = container_payload(name or folder.resolve().name, folder, store, _runner(runner))
    with open_client(ctx) as client:
        print_entity(client.containers.create(payload), as_json=as_json, title="container registered")
