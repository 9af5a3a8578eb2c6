"""`medperf demo`: the whole federated evaluation on this machine; `medperf demo down` stops what it left running."""

import json
from pathlib import Path
from typing import Annotated

import typer

from medperf.cli.output import print_message

app = typer.Typer(name="demo", help="Run the whole federated evaluation of the example benchmark on this machine.")

Home = Annotated[
    Path | None, typer.Option("--home", help="Folder of the demo (default $MEDPERF_HOME/demo); wiped at start.")
]


@app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    yes: Annotated[
        bool, typer.Option("--yes/--interactive", help="Approve every upload after showing it, or ask each time.")
    ] = False,
    keep: Annotated[bool, typer.Option("--keep/--no-keep", help="Leave the stack running at the end.")] = True,
    runner: Annotated[str, typer.Option(
        "--runner", help="sandbox (bubblewrap), docker, or mixed (site-a on Docker, the other sites in the sandbox)."
    )] = "sandbox",
    home: Home = None,
    json_out: Annotated[
        Path | None, typer.Option("--json-out", help="Also write the leaderboard and timings as JSON here.")
    ] = None,
    example: Annotated[
        Path | None,
        typer.Option("--example", help="Benchmark folder with data/<site>/labels and a raw-data folder beside it "
                     "(default examples/breast_cancer)."),
    ] = None,
) -> None:
    """Start the stack, register an example benchmark, prepare 3 sites, evaluate its models, rank them."""
    if ctx.invoked_subcommand is not None:
        return
    from medperf.demo import DemoOptions, run_demo
    from medperf.demo.options import EXAMPLE_DIR, RUNNERS, SITES, default_demo_home, raw_site_paths

    chosen = next((name for name in RUNNERS if name == runner), None)
    if chosen is None:
        raise typer.BadParameter("must be sandbox, docker or mixed", param_hint="--runner")

    folder = (example or EXAMPLE_DIR).expanduser().resolve()
    missing = [s for s in SITES if raw_site_paths(folder, s) is None]
    if missing:
        raise typer.BadParameter(
            f"{folder}: no raw data for {', '.join(missing)}; the demo needs data/<site>/labels and one raw-data "
            "folder beside it (e.g. data/<site>/data)",
            param_hint="--example",
        )
    options = DemoOptions(home=home or default_demo_home(), assume_yes=yes, keep=keep,
                          runner=chosen, example=folder)
    result = run_demo(options)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result, indent=2))


@app.command("down")
def down(home: Home = None) -> None:
    """Stop the workers, the Prefect server and the registry a demo left running."""
    from medperf.demo import stop_demo
    from medperf.demo.options import default_demo_home

    folder = home or default_demo_home()
    stopped = stop_demo(folder)
    print_message(f"stopped: {', '.join(stopped)}" if stopped else f"no running demo in {folder}")
