"""Orchestration overhead of prepare + execute (Prefect flows) against the same container steps called directly.

Starts a real Prefect server (infra/prefect_server.py) and a local registry, registers the tiny fixture
containers of tests/flows/fixtures, and prints JSON: seconds per run at 100 and 5,000 cases, and the
fixed and relative overhead. Approval is given at once through the run-input API (as the CLI's --yes).
Usage: .venv/bin/python benchmarks/pipeline.py [--cases 100 5000]
"""

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "flows")]


def _prefect_server_class() -> Any:
    spec = importlib.util.spec_from_file_location("prefect_server", ROOT / "infra" / "prefect_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PrefectServer


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
    dataset_steps.statistics(StepContext(runner, prep, work / "stats", 600), prepared, sanity)
    predictions = evaluation_steps.infer(StepContext(runner, model, work / "infer", 600), prepared.data)
    evaluation_steps.evaluate(StepContext(runner, evaluator, work / "eval", 600), predictions.path, prepared.labels)
    return time.perf_counter() - start


def flow_run(world: Any, data_root: Path, home: Path, raw: Path, labels: Path) -> tuple[float, float]:
    """prepare_dataset then evaluate_model, each approved at once; returns (prepare_s, execute_s)."""
    from flow_world import associate_dataset
    from site_flows import execute_approved, prepare_approved

    start = time.perf_counter()
    dataset_id = prepare_approved(data_root, home, world.benchmark.id, raw, labels)
    prepared_s = time.perf_counter() - start
    associate_dataset(world, dataset_id)
    start = time.perf_counter()
    state = execute_approved(data_root, home, world.benchmark.id, world.reference_model.id, dataset_id)
    assert state.is_completed(), state.message
    return prepared_s, time.perf_counter() - start


def main() -> None:
    """Measure and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, nargs="+", default=[100, 5000])
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="medperf-bench-"))
    os.environ.update({"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    with _prefect_server_class()() as server:
        os.environ["PREFECT_API_URL"] = server.api_url
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            print(json.dumps(measure(tmp, args.cases), indent=2))


def measure(tmp: Path, cases: list[int]) -> dict[str, Any]:
    """Set up a registry, a site and a benchmark, then time both ways for each size."""
    from flow_world import make_benchmark, write_raw_data

    from medperf.cli.local_server import local_registry
    from medperf.client import RegistryClient
    from medperf.profiles import Profile, ProfileStore
    from medperf.schemas import UserCreate
    from medperf.server.admin import create_admin
    from medperf.settings import ObjectStoreSettings, SiteSettings
    from medperf.storage import make_store

    figures: list[dict[str, Any]] = []
    with local_registry(tmp / "registry") as registry:
        admin = RegistryClient(registry.url, create_admin(registry.settings, "admin@example.org", "Admin"))

        def token(email: str) -> str:
            return admin.tokens.create(admin.users.create(UserCreate(email=email, name="u")).id).token

        owner = RegistryClient(registry.url, token("committee@bench.example"))
        site_token = token("owner@site-a.example")
        data_owner = RegistryClient(registry.url, site_token)
        home, data_root = tmp / "site-home", tmp / "site-data"
        ProfileStore(home).put("site-a", Profile(server_url=registry.url, token=site_token), activate=True)
        env = {
            "MEDPERF_HOME": str(home),
            "MEDPERF_SITE_NAME": "site-a",
            "MEDPERF_SITE_DATA_ROOT": str(data_root),
            "MEDPERF_SITE_RUNNER": "sandbox",
            "MEDPERF_STORE_KIND": "local",
            "MEDPERF_STORE_ROOT": str(tmp / "store"),
            "MEDPERF_STORE_CACHE_DIR": str(tmp / "store-cache"),
        }
        os.environ.update(env)
        store = make_store(ObjectStoreSettings())
        settings = SiteSettings()
        for n in cases:
            (tmp / f"w{n}").mkdir(parents=True, exist_ok=True)
            world = make_benchmark(admin, owner, data_owner, store, tmp / f"w{n}")
            raw, labels = write_raw_data(tmp / f"data{n}", n)
            direct_s = direct_run(world, store, settings, raw, labels, tmp / f"direct{n}")
            prepare_s, execute_s = flow_run(world, data_root, home, raw, labels)
            flows_s = prepare_s + execute_s
            figures.append(
                {
                    "cases": n,
                    "direct_s": round(direct_s, 2),
                    "flows_s": round(flows_s, 2),
                    "prepare_flow_s": round(prepare_s, 2),
                    "execute_flow_s": round(execute_s, 2),
                    "overhead_s": round(flows_s - direct_s, 2),
                    "overhead_per_flow_s": round((flows_s - direct_s) / 2, 2),
                    "overhead_pct": round(100 * (flows_s - direct_s) / direct_s, 1),
                }
            )
    return {"targets": {"fixed_overhead_per_flow_s": 5, "overhead_pct_at_5000": 10}, "runs": figures}


if __name__ == "__main__":
    main()
