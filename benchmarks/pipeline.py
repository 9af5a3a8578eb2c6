"""Orchestration overhead of prepare + execute (Prefect flows) against the same container steps called directly.

Starts a real Prefect server (infra/prefect_server.py) and a local registry, registers the per-file fixture
containers of benchmarks/per_file_projects (one file per case; every step reads every file), and prints
JSON. Both paths are warmed alike (one untimed run each at --warm cases, so imports, the sandbox's Python
environments and the page cache are hot for both), then each size is run --repeat times alternating direct
and flows, best of each. A line fitted over the sizes splits the overhead into fixed seconds per flow and
milliseconds per case. The flows run as `medperf prepare/execute --yes` runs them (flows/interactive.py: in this
process, approved through the run-input API as soon as the form waits). Product code only: nothing from tests/.
--profile N prints where the flows' time goes at N cases (cProfile of the flow thread, top functions).
Usage: .venv/bin/python benchmarks/pipeline.py [--cases 100 1000 5000] [--repeat 2] [--profile 5000]
"""

import argparse
import contextvars
import cProfile
import importlib.util
import io
import json
import os
import pstats
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PROJECTS = ROOT / "benchmarks" / "per_file_projects"
sys.path.insert(0, str(ROOT))
SUITE = {
    "name": "per-file",
    "target": "manifest",
    "expectations": [{"type": "expect_column_values_to_be_unique", "kwargs": {"column": "case_id"}}],
}
TARGETS = {"fixed_overhead_per_flow_s": 1.0, "per_case_overhead_ms": 0.02}
STATISTICS_KEYS = ["num_cases", "label_counts", "sanity", "mean_size"]


def _prefect_server_class() -> Any:
    spec = importlib.util.spec_from_file_location("prefect_server", ROOT / "infra" / "prefect_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PrefectServer


def write_cases(root: Path, n: int, salt: int) -> tuple[Path, Path]:
    """n raw case files (one number each) and a labels table naming every case; a new salt is new data.

    Steps are cached by the hashes of their inputs, so equal data would let a repeated flow skip its work.
    """
    data, labels = root / "raw", root / "raw_labels"
    data.mkdir(parents=True)
    labels.mkdir(parents=True)
    lines = ["case,label"]
    for index in range(n):
        value = 3 + (index * 7 + salt) % 17
        (data / f"case-{index:06d}.txt").write_text(f"{value}\n")
        lines.append(f"case-{index:06d},{int(value > 10)}")
    (labels / "labels.csv").write_text("\n".join(lines) + "\n")
    return data, labels


def make_benchmark(admin: Any, owner: Any, data_owner: Any, store: Any) -> Any:
    """The per-file containers, a reference model and an approved benchmark (the product's world builder)."""
    from medperf.demo.tiny_world import tiny_benchmark
    from medperf.schemas import ReleasePolicy

    policy = ReleasePolicy(allowed_statistics_keys=STATISTICS_KEYS)
    return tiny_benchmark(admin, owner, data_owner, store, suite=SUITE, policy=policy, projects=PROJECTS)


def direct_run(world: Any, store: Any, settings: Any, raw: Path, labels: Path, work: Path) -> float:
    """The same container steps and checks with no orchestration: plain function calls."""
    from medperf.containers.factory import make_runner
    from medperf.site import dataset_steps, evaluation_steps
    from medperf.site.container_fetch import container_spec
    from medperf.site.container_steps import StepContext

    registry = world.data_owner
    bench = world.benchmark
    prep = container_spec(registry.containers.get(bench.data_preparation_container_id), store, work / "c")
    model = container_spec(registry.containers.get(world.reference_model.container_id), store, work / "c")
    evaluator = container_spec(registry.containers.get(bench.evaluator_container_id), store, work / "c")
    runner = make_runner(settings)
    start = time.perf_counter()
    ctx = StepContext(runner, prep, work / "prep", 600)
    prepared = dataset_steps.prepare(ctx, raw, labels)
    sanity = dataset_steps.sanity_check(ctx, prepared, bench.sanity_suite, work / "report.json")
    dataset_steps.statistics(StepContext(runner, prep, work / "stats", 600), prepared, sanity, bench.sanity_suite)
    predictions = evaluation_steps.infer(StepContext(runner, model, work / "infer", 600), prepared.data)
    evaluation_steps.evaluate(StepContext(runner, evaluator, work / "eval", 600), predictions.path, prepared.labels)
    return time.perf_counter() - start


def run_approved(
    flow: Any, parameters: dict[str, Any], home: Path, data_root: Path, profile: cProfile.Profile | None
) -> Any:
    """The flow run in this process and approved once its form waits, as `medperf prepare/execute --yes` does.

    flows/interactive.py's start_in_process, with the flow's thread profiled when profile is given.
    """
    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow

    from flows.interactive import InProcessRun, submit_decision, wait_for_form_or_end

    with get_client(sync_client=True) as client:
        created = client.create_flow_run(flow, parameters=parameters)
    outcome: dict[str, Any] = {}

    def target() -> None:
        if profile is not None:
            profile.enable()
        try:
            outcome["state"] = run_flow(flow, flow_run=created, parameters=parameters, return_type="state")
        except BaseException as err:  # handed to the caller's thread
            outcome["error"] = err
        finally:
            if profile is not None:
                profile.disable()

    thread = threading.Thread(target=contextvars.copy_context().run, args=(target,), daemon=True)
    run = InProcessRun(str(created.id), thread, outcome)
    thread.start()
    pending = wait_for_form_or_end(run, data_root)
    assert pending is not None, f"the flow ended before its approval step: {run.final_state()}"
    submit_decision(home, data_root, pending, approve=True, comment="pipeline benchmark")
    state = run.final_state()
    assert state.is_completed(), state.message
    return state


def flow_run(
    world: Any, data_root: Path, home: Path, raw: Path, labels: Path, profile: cProfile.Profile | None = None
) -> tuple[float, float]:
    """prepare_dataset then evaluate_model, each approved at once; returns (prepare_s, execute_s)."""
    from flows.evaluate_model import evaluate_model
    from flows.prepare_dataset import prepare_dataset
    from medperf.demo.tiny_world import associate_dataset

    start = time.perf_counter()
    parameters = {"benchmark_id": world.benchmark.id, "data_path": str(raw), "labels_path": str(labels),
                  "name": f"d-{time.monotonic_ns()}"}  # fmt: skip
    prepared = run_approved(prepare_dataset, parameters, home, data_root, profile)
    prepared_s = time.perf_counter() - start
    dataset_id = int(prepared.result())
    associate_dataset(world, dataset_id)
    start = time.perf_counter()
    ids = {"benchmark_id": world.benchmark.id, "model_id": world.reference_model.id, "dataset_id": dataset_id}
    run_approved(evaluate_model, ids, home, data_root, profile)
    return prepared_s, time.perf_counter() - start


def size_target(cases: int) -> float:
    """The issue's overhead budget per flow at this many cases: fixed plus per case (3 s at 100,000)."""
    return TARGETS["fixed_overhead_per_flow_s"] + TARGETS["per_case_overhead_ms"] * cases / 1000


def fit_line(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares (intercept, slope) of y over x."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0
    return mean_y - slope * mean_x, slope


def top_functions(profile: cProfile.Profile, limit: int = 20) -> list[dict[str, Any]]:
    """The functions with the most own time in the profile (file:line name, calls, own and cumulative s)."""
    stats = pstats.Stats(profile, stream=io.StringIO())
    rows = []
    for (file, line, name), (_cc, calls, own, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        short = file.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        rows.append({"function": f"{short}:{line} {name}", "calls": calls, "own_s": round(own, 3),
                     "cumulative_s": round(cumulative, 3)})  # fmt: skip
    return sorted(rows, key=lambda row: -row["own_s"])[:limit]


def _function_times(profile: cProfile.Profile) -> dict[str, tuple[float, float]]:
    stats = pstats.Stats(profile, stream=io.StringIO())
    times: dict[str, tuple[float, float]] = {}
    for (file, line, name), (_cc, _calls, own, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        short = file.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        times[f"{short}:{line} {name}"] = (own, cumulative)
    return times


def flow_only_functions(flows: cProfile.Profile, direct: cProfile.Profile, limit: int = 15) -> dict[str, Any]:
    """Where the flows spend more than the direct path: own and cumulative seconds, flows minus direct.

    Cumulative differences are listed for the product's own functions (medperf/, flows/, tasks/) only: they
    name the step that costs, the own-time differences the primitive it spends it in.
    """
    flow_times, direct_times = _function_times(flows), _function_times(direct)

    def diff(index: int, product_only: bool) -> list[dict[str, Any]]:
        extras: list[tuple[float, str]] = []
        for function, times in flow_times.items():
            if product_only and not function.startswith(("medperf/", "flows/", "tasks/")):
                continue
            extras.append((times[index] - direct_times.get(function, (0.0, 0.0))[index], function))
        extras.sort(reverse=True)
        return [{"function": function, "extra_s": round(extra, 3)} for extra, function in extras[:limit]]

    return {"own": diff(0, False), "cumulative_product": diff(1, True)}


def main() -> None:
    """Measure and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--warm", type=int, default=50)
    parser.add_argument("--profile", type=int, default=0, help="also profile the flows at this many cases")
    parser.add_argument("--profile-out", type=Path, default=None,
                        help="write the flows' profile here (pstats; the direct path's to the same name + .direct)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="medperf-bench-"))
    os.environ.update({"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    try:
        with _prefect_server_class()() as server:
            os.environ["PREFECT_API_URL"] = server.api_url
            from prefect.settings import PREFECT_API_URL, temporary_settings

            with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
                print(json.dumps(measure(tmp, args), indent=2))
                from prefect.logging.handlers import APILogWorker

                APILogWorker.drain_all(timeout=10)  # the flows' last log lines, before the server stops
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # 100,000 files per run add up to gigabytes


def measure(tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Set up a registry, a site and a benchmark, warm both paths, then time both ways for each size."""
    from medperf.cli.local_server import local_registry
    from medperf.client import RegistryClient
    from medperf.profiles import Profile, ProfileStore
    from medperf.schemas import UserCreate
    from medperf.server.admin import create_admin
    from medperf.settings import ObjectStoreSettings, SiteSettings
    from medperf.storage import make_store

    figures: list[dict[str, Any]] = []
    result: dict[str, Any] = {"targets": TARGETS}
    with local_registry(tmp / "registry", timeout_s=240) as registry:
        admin = RegistryClient(registry.url, create_admin(registry.settings, "admin@example.org", "Admin"))

        def token(email: str) -> str:
            return admin.tokens.create(admin.users.create(UserCreate(email=email, name="u")).id).token

        owner = RegistryClient(registry.url, token("committee@bench.example"))
        site_token = token("owner@site-a.example")
        data_owner = RegistryClient(registry.url, site_token)
        home, data_root = tmp / "site-home", tmp / "site-data"
        ProfileStore(home).put("site-a", Profile(server_url=registry.url, token=site_token), activate=True)
        os.environ.update(
            {
                "MEDPERF_HOME": str(home),
                "MEDPERF_SITE_NAME": "site-a",
                "MEDPERF_SITE_DATA_ROOT": str(data_root),
                "MEDPERF_SITE_RUNNER": "sandbox",
                "MEDPERF_STORE_KIND": "local",
                "MEDPERF_STORE_ROOT": str(tmp / "store"),
                "MEDPERF_STORE_CACHE_DIR": str(tmp / "store-cache"),
            }
        )
        store = make_store(ObjectStoreSettings())
        settings = SiteSettings()
        world = make_benchmark(admin, owner, data_owner, store)
        runs = iter(range(1_000_000))

        def fresh(n: int) -> tuple[Path, Path, Path]:
            run = next(runs)
            folder = tmp / f"run-{run}"
            raw, labels = write_cases(folder, n, run)  # new data each run: no step is served from a cache
            return raw, labels, folder

        raw, labels, folder = fresh(args.warm)
        direct_run(world, store, settings, raw, labels, folder / "direct")
        flow_run(world, data_root, home, raw, labels)
        for n in args.cases:
            direct, flows, prepare, execute = [], [], [], []
            for _ in range(args.repeat):
                raw, labels, folder = fresh(n)
                direct.append(direct_run(world, store, settings, raw, labels, folder / "direct"))
                raw, labels, folder = fresh(n)
                prepare_s, execute_s = flow_run(world, data_root, home, raw, labels)
                prepare.append(prepare_s)
                execute.append(execute_s)
                flows.append(prepare_s + execute_s)
            best_direct, best_flows = min(direct), min(flows)
            figures.append(
                {
                    "cases": n,
                    "direct_s": round(best_direct, 2),
                    "flows_s": round(best_flows, 2),
                    "prepare_flow_s": round(min(prepare), 2),
                    "execute_flow_s": round(min(execute), 2),
                    "overhead_per_flow_s": round((best_flows - best_direct) / 2, 3),
                    "target_overhead_per_flow_s": round(size_target(n), 3),
                    "met": (best_flows - best_direct) / 2 <= size_target(n),
                    "every_direct_s": [round(value, 2) for value in direct],
                    "every_flows_s": [round(value, 2) for value in flows],
                }
            )
        result["runs"] = figures
        if len({row["cases"] for row in figures}) > 1:  # a line needs two sizes; one size is judged by its row
            intercept, slope = fit_line([(row["cases"], row["overhead_per_flow_s"]) for row in figures])
            result["fit"] = {
                "fixed_overhead_per_flow_s": round(intercept, 3),
                "per_case_overhead_ms_per_flow": round(slope * 1000, 4),
                "met": intercept <= TARGETS["fixed_overhead_per_flow_s"]
                and slope * 1000 <= TARGETS["per_case_overhead_ms"],
            }
        if args.profile:
            profile, direct_profile = cProfile.Profile(), cProfile.Profile()
            raw, labels, folder = fresh(args.profile)
            direct_profile.enable()
            direct_run(world, store, settings, raw, labels, folder / "direct")
            direct_profile.disable()
            raw, labels, folder = fresh(args.profile)
            flow_run(world, data_root, home, raw, labels, profile)
            result["profile_cases"] = args.profile
            result["profile_top_own_time"] = top_functions(profile)
            result["profile_flow_only"] = flow_only_functions(profile, direct_profile)
            if args.profile_out:
                profile.dump_stats(args.profile_out)
                direct_profile.dump_stats(f"{args.profile_out}.direct")
    return result


if __name__ == "__main__":
    main()
