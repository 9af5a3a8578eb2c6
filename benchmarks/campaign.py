"""Print JSON figures of a federated campaign on the real stack (infra/stack.py) with tiny fixture containers.

- dispatch latency: run_deployment(timeout=0) -> the flow run's start time on the site's worker (target <= 3 s);
- a 3 sites x 5 models campaign: wall time (approvals answered at once by a bot) against the sum of its
  container work (infer + evaluate task run times) divided by the parallelism (min(sites x pool limit, cores));
- a site worker's memory: RSS of its process group right after the preparation runs (the worker and its fork
  server, medperf/site/flow_forkserver.py) and idle, once the fork server has exited after its idle timeout
  (MEDPERF_SITE_WARM_IDLE_S, 15 s here; 10 minutes by default) (target <= 150 MB).

A campaign is one run per site for all its pairs, as `medperf benchmark run` dispatches it; --per-pair
dispatches one run per pair instead.

Usage: .venv/bin/python benchmarks/campaign.py [--sites 3] [--models 5] [--per-pair] [--stack-dir DIR]
Builds its world with medperf/demo/tiny_world.py (product code; the deployment tests use the same builder).
"""

import argparse
import json
import os
import statistics
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


from benchmarks.stack_figures import rss_mb, stack_module  # noqa: E402

IDLE_S = 15


def container_seconds(flow_run_ids: list[str]) -> float:
    """Sum of the infer and evaluate task run times of the given flow runs (cached re-runs add ~0)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    tasks = []
    with get_client(sync_client=True) as client:
        for start in range(0, len(flow_run_ids), 20):
            ids = [UUID(i) for i in flow_run_ids[start : start + 20]]
            tasks += client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)), limit=200)
    return sum(t.total_run_time.total_seconds() for t in tasks if t.name.split("-")[0] in ("infer", "evaluate"))


def main() -> int:
    """Run the measurements and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=3)
    parser.add_argument("--models", type=int, default=5)
    parser.add_argument("--per-pair", action="store_true", help="one run per pair, not one per site")
    parser.add_argument("--stack-dir", type=Path, default=None, help="reuse a stack started by infra/stack.py")
    args = parser.parse_args()

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    stacks = stack_module()

    from deployments.site_plan import DEFAULT_POOL_CONCURRENCY
    from deployments.site_worker import running_pid, worker_files
    from medperf.campaign.dispatch import dispatch_campaign, dispatch_pair
    from medperf.campaign.pairs import Pair
    from medperf.campaign.snapshot import load_snapshot
    from medperf.demo.stack_world import prepare_and_associate, stack_committee, stack_site
    from medperf.demo.tiny_world import finish_with_approvals
    from medperf.site.flow_forkserver import IDLE_ENV

    work = Path(tempfile.mkdtemp(prefix="medperf-campaign-bench-"))
    root = args.stack_dir or work / "stack"
    started = time.monotonic()
    stack = stacks.up(root)
    stack_up_s = time.monotonic() - started
    os.environ.update(stack.env())
    figures: dict[str, Any] = {"stack_up_s": round(stack_up_s, 1)}
    sites = []
    try:
        with temporary_settings(updates={PREFECT_API_URL: stack.prefect_api_url}):
            committee = stack_committee(stack, work, f"committee-{os.getpid()}@bench.example")
            benchmark = committee.create_benchmark()
            for index in range(args.sites):
                sites.append(stack_site(stack, committee, f"bench-site-{index}-{os.getpid() % 10000}", work,
                                        f"owner-{index}-{os.getpid()}@hospital.example"))
            for site in sites:
                site.up(continuous_paused=True, extra_env={IDLE_ENV: str(IDLE_S)})
            prepare_and_associate(committee, sites, benchmark.id, "datasets prepared", deadline_s=900)

            time.sleep(5)  # let the workers settle after the preparation runs
            pids = [pid for site in sites if (pid := running_pid(worker_files(site.name, site.home)))]
            warm = [rss_mb(pid) for pid in pids]
            figures["worker_rss_mb_with_fork_server"] = {"max": max(warm), "mean": round(statistics.mean(warm), 1)}
            time.sleep(IDLE_S + 5)  # the fork servers exit after IDLE_S without a run
            idle = [rss_mb(pid) for pid in pids]
            figures["worker_idle_rss_mb"] = {"max": max(idle), "mean": round(statistics.mean(idle), 1),
                                             "target": 150, "met": max(idle) <= 150}

            latencies = []
            for site in sites:
                t0 = time.time()
                pair = Pair(benchmark.reference_model_id, site.dataset_id or 0, site.name)
                run_id = dispatch_pair(benchmark.id, pair)
                with get_client(sync_client=True) as client:
                    deadline = time.monotonic() + 120
                    while time.monotonic() < deadline:
                        run = client.read_flow_run(UUID(run_id))
                        if run.start_time is not None:
                            latencies.append(run.start_time.timestamp() - t0)
                            break
                        time.sleep(0.1)
                finish_with_approvals([site], [run_id], "latency run", deadline_s=600)
            print(json.dumps(figures), file=sys.stderr)
            figures["dispatch_latency_s"] = {
                "median": round(statistics.median(latencies), 2),
                "max": round(max(latencies), 2),
                "target": 3.0,
            }

            for threshold in range(args.models):
                committee.associate_model(committee.register_model(threshold=6 + threshold))
            t0 = time.monotonic()
            dispatched = dispatch_campaign(load_snapshot(committee.client, benchmark.id), per_site=not args.per_pair)
            run_ids = sorted({d.flow_run_id for d in dispatched})  # a site's batch run covers several pairs
            finish_with_approvals(sites, run_ids, "the campaign", deadline_s=3600)
            wall = time.monotonic() - t0
            work_s = container_seconds(run_ids)
            parallelism = min(args.sites * DEFAULT_POOL_CONCURRENCY, os.cpu_count() or 1)
            figures["campaign"] = {
                "sites": args.sites,
                "models": args.models,
                "runs": len(run_ids),
                "wall_s": round(wall, 1),
                "container_work_s": round(work_s, 1),
                "parallelism": parallelism,
                "ideal_s": round(work_s / parallelism, 1),
                "overhead_ratio": round(wall / max(work_s / parallelism, 1e-9), 1),
                "per_site": not args.per_pair,
                "target_s": round(2 * work_s / parallelism + 20, 1),  # <= 2x the ideal + 20 s
                "met": wall <= 2 * work_s / parallelism + 20,
            }
    finally:
        for site in sites:
            site.down()
        if args.stack_dir is None:
            stacks.down(root)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
