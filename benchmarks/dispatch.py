"""Print JSON figures of dispatch latency, warm and cold, on a real Prefect server and a site's process worker.

A run goes: created (SCHEDULED) -> the worker picks it up (PENDING) -> the worker starts its command -> RUNNING.
A site's deployments start their runs warm: the command is medperf.site.flow_launcher, which has the worker's fork
server (medperf.site.warm_worker) fork a process with Prefect and the flows imported already. Each round
dispatches, one at a time on the same site and otherwise idle worker (process pool,
PREFECT_WORKER_QUERY_SECONDS=1, deployments/site_plan.py): the site's evaluate_model deployment (warm) and the
same flow cold (job variable `command` set to `python -m prefect.engine`, a new interpreter per run); Prefect's
floor, a trivial flow whose module imports only prefect (benchmarks/floor_flow.py), warm and cold. The states'
timestamps come from Prefect's state history (read_flow_run_states); for cold runs the process and module times
come from a probe on the runs' PYTHONPATH (benchmarks/dispatch_probe/sitecustomize.py; a forked warm process
imports nothing, so it has no such phases). The evaluate_model runs name a benchmark that does not exist, so each
fails right after it is RUNNING (dispatch is over by then). Round 0 is a warm-up, not counted. Import cost apart
from the worker: per flow module, `python -X importtime` and the wall time of `python -c "import flows.X"`, each
against the floor's module (`import prefect` alone is lazy).
"""

import argparse
import contextlib
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # flows/, deployments/ and medperf/ when run from a checkout
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_TELEMETRY_ENABLED", "false")

from benchmarks.stack_figures import stack_module  # noqa: E402

PROBE_DIR = ROOT / "benchmarks" / "dispatch_probe"
FLOOR_ENTRYPOINT = "benchmarks/floor_flow.py:dispatch_floor"
EVALUATE_ENTRYPOINT = "flows/evaluate_model.py:evaluate_model"
FLOW_FILES = {"evaluate_model": ROOT / "flows" / "evaluate_model.py", "floor": ROOT / "benchmarks" / "floor_flow.py"}
COLD_PHASES = (  # between PENDING and RUNNING, for a run started cold (a new interpreter)
    "pending_to_process",  # the worker resolves the job, proposes submitting, forks
    "process_to_interpreter",  # exec of python, up to its site hook
    "interpreter_to_module",  # the engine: prefect imported, the flow run read, up to the flow file
    "module_import",  # the flow file executed (its imports)
    "module_to_running",  # the engine proposes RUNNING
)
IMPORT_STATEMENTS = {
    "prefect": "import prefect",
    "floor_flow": "import benchmarks.floor_flow",
    "evaluate_model": "import flows.evaluate_model",
    "evaluate_batch": "import flows.evaluate_batch",
    "prepare_dataset": "import flows.prepare_dataset",
    "continuous_evaluation": "import flows.continuous_evaluation",
}


def summary(values: list[float]) -> dict[str, float]:
    """Median and max, in seconds."""
    return {"median": round(statistics.median(values), 3), "max": round(max(values), 3)} if values else {}


def import_figures(n: int) -> dict[str, Any]:
    """Per statement, over n fresh interpreters: wall time of `python -c "import X"`, the -X importtime total."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    figures: dict[str, Any] = {}
    for name, statement in IMPORT_STATEMENTS.items():
        walls, totals = [], []
        traced = ""
        for _ in range(n):
            started = time.monotonic()
            subprocess.run([sys.executable, "-c", statement], env=env, cwd=ROOT, check=True)
            walls.append(time.monotonic() - started)
            traced = subprocess.run(
                [sys.executable, "-X", "importtime", "-c", statement], env=env, cwd=ROOT, check=True,
                capture_output=True, text=True,
            ).stderr
            totals.append(sum(self_us for self_us, _ in importtime_rows(traced).values()) / 1e6)
        figures[name] = {
            "wall_s": summary(walls),
            "importtime_s": summary(totals),
            "modules": len(importtime_rows(traced)),
        }
        if name == "evaluate_model":
            figures[name]["heaviest_beyond_floor_ms"] = heaviest_beyond_floor(traced)
    base = figures["floor_flow"]  # `import prefect` alone is lazy: the floor's module is the base
    for name in IMPORT_STATEMENTS:
        figures[name]["beyond_floor"] = {
            "wall_s": round(figures[name]["wall_s"]["median"] - base["wall_s"]["median"], 3),
            "importtime_s": round(figures[name]["importtime_s"]["median"] - base["importtime_s"]["median"], 3),
            "modules": figures[name]["modules"] - base["modules"],
        }
    return figures


def importtime_rows(traced: str) -> dict[str, tuple[int, int]]:
    """`-X importtime` lines as {module: (self us, cumulative us)}."""
    rows = {}
    for line in traced.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if match:
            rows[match.group(4)] = (int(match.group(1)), int(match.group(2)))
    return rows


def heaviest_beyond_floor(traced: str, top: int = 12) -> dict[str, float]:
    """The modules the floor's flow module does not import, with the largest cumulative import time, in ms."""
    floor_rows = importtime_rows(subprocess.run(
        [sys.executable, "-X", "importtime", "-c", IMPORT_STATEMENTS["floor_flow"]], env={**os.environ,
        "PYTHONPATH": str(ROOT)}, cwd=ROOT, check=True, capture_output=True, text=True,
    ).stderr)
    ours = {m: cum for m, (_, cum) in importtime_rows(traced).items() if m not in floor_rows}
    return {m: round(cum / 1000, 1) for m, cum in sorted(ours.items(), key=lambda kv: -kv[1])[:top]}


def probe_records(log: Path) -> dict[str, list[dict[str, Any]]]:
    """The probe's JSON lines grouped by flow run id."""
    by_run: dict[str, list[dict[str, Any]]] = {}
    if log.exists():
        for line in log.read_text().splitlines():
            record = json.loads(line)
            by_run.setdefault(record["run"], []).append(record)
    return by_run


def phases_of(states: list[Any], records: list[dict[str, Any]]) -> dict[str, float]:
    """Seconds per phase of one run, from its state history and (cold runs) its probe records."""
    at: dict[str, float] = {}
    for state in sorted(states, key=lambda s: s.timestamp):
        at.setdefault(state.type.value, state.timestamp.timestamp())
    values = {"created_to_pending": at["PENDING"] - at["SCHEDULED"],
              "pending_to_running": at["RUNNING"] - at["PENDING"], "total": at["RUNNING"] - at["SCHEDULED"]}
    engine = next((r for r in records if r["event"] == "process" and "prefect.engine" in r["argv"]), None)
    if engine is None:  # a warm run: forked, so the probe never ran in it
        return values
    begin = next(r["t"] for r in records if r["event"] == "module_begin")
    end = next(r["t"] for r in records if r["event"] == "module_end")
    marks = [at["PENDING"], engine["forked"], engine["t"], begin, end, at["RUNNING"]]
    values.update({name: marks[i + 1] - marks[i] for i, name in enumerate(COLD_PHASES)})
    return values


def wait_final(client: Any, run_id: UUID, deadline_s: float = 180) -> Any:
    """Poll the run until it is in a final state (the benchmark's runs end within seconds of RUNNING)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        run = client.read_flow_run(run_id)
        if run.state is not None and run.state.is_final():
            return run
        time.sleep(0.2)
    raise RuntimeError(f"flow run {run_id} did not finish within {deadline_s:.0f} s")


def main() -> int:
    """Run the measurements and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10, help="rounds (each dispatches evaluate_model and the floor)")
    parser.add_argument("--stack-dir", type=Path, default=None, help="reuse a stack started by infra/stack.py")
    parser.add_argument("--imports-only", action="store_true", help="only the import figures; no stack")
    args = parser.parse_args()

    figures: dict[str, Any] = {"imports": import_figures(args.n)}
    if args.imports_only:
        print(json.dumps(figures, indent=2))
        return 0

    from prefect import Flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from medperf.campaign.deployment_names import CONTINUOUS_FLOW, EVALUATE_FLOW, OUTBOX_FLOW, deployment_name
    from medperf.demo.stack_world import stack_committee, stack_site

    stacks = stack_module()
    work = Path(tempfile.mkdtemp(prefix="medperf-dispatch-bench-"))
    root = args.stack_dir or work / "stack"
    stack = stacks.up(root)
    os.environ.update(stack.env())
    log = work / "probe.jsonl"
    probe_env = {
        "PYTHONPATH": str(PROBE_DIR),
        "MEDPERF_DISPATCH_PROBE_LOG": str(log),
        "MEDPERF_DISPATCH_PROBE_FILES": os.pathsep.join(str(path) for path in FLOW_FILES.values()),
    }
    site = None
    try:
        with temporary_settings(updates={PREFECT_API_URL: stack.prefect_api_url}):
            committee = stack_committee(stack, work, f"committee-{os.getpid()}@bench.example")
            site = stack_site(stack, committee, f"dispatch-site-{os.getpid() % 10000}", work,
                              f"owner-{os.getpid()}@hospital.example")
            plan = site.plan(continuous_paused=True, extra_env=probe_env)
            site.up(continuous_paused=True, extra_env=probe_env)
            # Cold twice over: the floor and evaluate_model with the engine as the command, a new interpreter
            # per run (what the site's runs cost without the fork server).
            cold = {**plan.job_variables(), "command": f"{sys.executable} -m prefect.engine"}
            for entrypoint, name, variables in ((FLOOR_ENTRYPOINT, site.name, plan.job_variables()),
                                                (FLOOR_ENTRYPOINT, f"{site.name}-cold", cold),
                                                (EVALUATE_ENTRYPOINT, f"{site.name}-cold", cold)):
                flow = Flow.from_source(source=str(ROOT), entrypoint=entrypoint)
                assert isinstance(flow, Flow)
                with contextlib.redirect_stdout(io.StringIO()):  # Prefect prints a table per deployment
                    flow.deploy(name=name, work_pool_name=plan.pool, job_variables=variables, build=False,
                                push=False, print_next_steps=False, ignore_warnings=True)
            with get_client(sync_client=True) as client:  # nothing else runs on the pool while we measure
                for other in (OUTBOX_FLOW, CONTINUOUS_FLOW):
                    client.pause_deployment(client.read_deployment_by_name(deployment_name(other, site.name)).id)
            bad_pair = {"benchmark_id": "dispatch-bench-no-such-benchmark", "model_id": "none", "dataset_id": "none"}
            deployments = {
                "evaluate_model": (deployment_name(EVALUATE_FLOW, site.name), bad_pair),
                "floor": (f"dispatch_floor/{site.name}", {}),
                "evaluate_model_cold": (deployment_name(EVALUATE_FLOW, f"{site.name}-cold"), bad_pair),
                "floor_cold": (f"dispatch_floor/{site.name}-cold", {}),
            }
            measured: dict[str, list[dict[str, float]]] = {name: [] for name in deployments}
            client_latency: dict[str, list[float]] = {name: [] for name in deployments}
            for round_index in range(args.n + 1):  # round 0 warms the worker and the disk cache, not counted
                for name, (deployment, parameters) in deployments.items():
                    time.sleep(1.5)  # the previous run's process has exited and the worker is idle
                    t0 = time.time()
                    run = run_deployment(deployment, parameters=parameters, timeout=0, as_subflow=False)
                    assert isinstance(run, FlowRun)
                    with get_client(sync_client=True) as client:
                        done = wait_final(client, run.id)
                        states = client.read_flow_run_states(run.id)
                    time.sleep(0.5)  # the probe's last lines are written
                    if round_index == 0:
                        continue
                    measured[name].append(phases_of(states, probe_records(log).get(str(run.id), [])))
                    assert done.start_time is not None
                    client_latency[name].append(done.start_time.timestamp() - t0)
            for name, runs in measured.items():
                figures[name] = {
                    "runs": len(runs),
                    "dispatch_latency_s": summary(client_latency[name]),  # as benchmarks/campaign.py measures it
                    "phases_s": {phase: summary([run[phase] for run in runs]) for phase in runs[0]} if runs else {},
                }
            ours = [a["total"] - b["total"] for a, b in zip(measured["evaluate_model"], measured["floor"], strict=True)]
            figures["evaluate_minus_floor_s"] = summary(ours)  # round by round, both warm
            figures["target_s"] = 3.0
    finally:
        if site is not None:
            site.down()
        if args.stack_dir is None:
            stacks.down(root)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
