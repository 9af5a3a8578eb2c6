"""`medperf benchmark`: submit, list, view, approve/reject (admin) and set the auto-approval policy."""

from pathlib import Path
from typing import Annotated

import typer

from medperf.cli.context import open_client
from medperf.cli.inputs import read_json_mapping, read_yaml_mapping, validated
from medperf.cli.lifecycle import add_lifecycle_commands, send_edit
from medperf.cli.options import ApprovalFilter, JsonFlag, Limit, Offset, OwnerFilter, StateFilter
from medperf.cli.output import print_entity, print_page
from medperf.schemas import AutoApprovalMode, BenchmarkCreate, BenchmarkPolicyUpdate, BenchmarkUpdate, ReleasePolicy

app = typer.Typer(name="benchmark", help="Benchmarks.", no_args_is_help=True)
COLUMNS = ("id", "name", "owner_id", "state", "approval_status", "auto_approval_mode", "created_at")
FLAGS = {
    "name": "--name",
    "description": "--description",
    "data_preparation_container_id": "--prep-container",
    "reference_model_id": "--reference-model",
    "evaluator_container_id": "--evaluator",
    "demo_dataset_url": "--demo-url",
    "demo_dataset_sha256": "--demo-sha256",
    "sanity_suite": "--suite",
    "release_policy": "--policy",
}


@app.command("submit")
def submit(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Benchmark name.")],
    prep_container: Annotated[int, typer.Option("--prep-container", help="Data preparation container id.")],
    reference_model: Annotated[int, typer.Option("--reference-model", help="Reference model id.")],
    evaluator: Annotated[int, typer.Option("--evaluator", help="Evaluator container id.")],
    suite: Annotated[Path | None, typer.Option("--suite", help="Great Expectations suite (JSON).")] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="Release policy (YAML).")] = None,
    demo_url: Annotated[str | None, typer.Option("--demo-url", help="URL of the demo dataset.")] = None,
    demo_sha256: Annotated[str | None, typer.Option("--demo-sha256", help="sha256 of the demo dataset.")] = None,
    description: Annotated[str, typer.Option("--description", help="What the benchmark measures.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Submit a benchmark; the admin approves it before sites can join."""
    fields = {
        "name": name,
        "description": description,
        "data_preparation_container_id": prep_container,
        "reference_model_id": reference_model,
        "evaluator_container_id": evaluator,
        "demo_dataset_url": demo_url,
        "demo_dataset_sha256": demo_sha256,
        "sanity_suite": read_json_mapping(suite, "sanity-check suite") if suite else None,
    }
    if policy is not None:
        fields["release_policy"] = validated(
            ReleasePolicy, read_yaml_mapping(policy, "release policy"), source=f"release policy {policy}"
        )
    payload = validated(BenchmarkCreate, fields, source="the command line", flags=FLAGS)
    with open_client(ctx) as client:
        print_entity(client.benchmarks.create(payload), as_json=as_json, title="benchmark submitted")


@app.command("ls")
def list_benchmarks(
    ctx: typer.Context,
    owner: OwnerFilter = None,
    state: StateFilter = None,
    approval: ApprovalFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
    as_json: JsonFlag = False,
) -> None:
    """List benchmarks."""
    with open_client(ctx) as client:
        page = client.benchmarks.list(limit=limit, offset=offset, owner_id=owner, state=state, approval_status=approval)
    print_page(page, COLUMNS, as_json=as_json, title="benchmarks")


@app.command("view")
def view(ctx: typer.Context, benchmark_id: int, as_json: JsonFlag = False) -> None:
    """Show one benchmark."""
    with open_client(ctx) as client:
        print_entity(client.benchmarks.get(benchmark_id), as_json=as_json)


@app.command("approve")
def approve(ctx: typer.Context, benchmark_id: int, as_json: JsonFlag = False) -> None:
    """Approve a pending benchmark (admin only)."""
    with open_client(ctx) as client:
        print_entity(client.benchmarks.approve(benchmark_id), as_json=as_json, title="benchmark approved")


@app.command("reject")
def reject(ctx: typer.Context, benchmark_id: int, as_json: JsonFlag = False) -> None:
    """Reject a pending benchmark (admin only)."""
    with open_client(ctx) as client:
        print_entity(client.benchmarks.reject(benchmark_id), as_json=as_json, title="benchmark rejected")


@app.command("policy")
def set_policy(
    ctx: typer.Context,
    benchmark_id: int,
    mode: Annotated[AutoApprovalMode, typer.Option("--mode", help="How association requests are answered.")],
    allow: Annotated[
        list[str] | None, typer.Option("--allow", help="Email auto-approved in ALLOWLIST mode (repeatable).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Set the benchmark's auto-approval of association requests (owner only)."""
    payload = validated(
        BenchmarkPolicyUpdate,
        {"auto_approval_mode": mode, "auto_approval_allowlist": allow or []},
        source="the command line",
        flags={"auto_approval_mode": "--mode", "auto_approval_allowlist": "--allow"},
    )
    with open_client(ctx) as client:
        print_entity(client.benchmarks.set_policy(benchmark_id, payload), as_json=as_json, title="policy set")


add_lifecycle_commands(app, "benchmark", lambda client: client.benchmarks, BenchmarkUpdate)


@app.command("edit")
def edit(
    ctx: typer.Context,
    benchmark_id: Annotated[int, typer.Argument(help="The benchmark's id.")],
    description: Annotated[str | None, typer.Option("--description", help="A new description (any state).")] = None,
    suite: Annotated[Path | None, typer.Option("--suite", help="A new Great Expectations suite (JSON).")] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="A new release policy (YAML).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a benchmark: the description always; suite and release policy only in DEVELOPMENT."""
    fields = {
        "description": description,
        "sanity_suite": read_json_mapping(suite, "sanity-check suite") if suite else None,
        "release_policy": read_yaml_mapping(policy, "release policy") if policy else None,
    }
    flags = {"description": "--description", "sanity_suite": "--suite", "release_policy": "--policy"}
    send_edit(ctx, "benchmark", benchmark_id, lambda client: client.benchmarks, BenchmarkUpdate, fields, flags,
              as_json=as_json)  # fmt: skip
