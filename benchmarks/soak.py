"""Soak a campaign on the real stack: N models x 3 sites, late approvals, one site offline for a while; JSON out.

What it does (infra/stack.py: Postgres, SeaweedFS, Prefect and MedPerf; tiny fixture containers and the
world builder of medperf/demo/tiny_world.py):
- registers the benchmark and --models models, prepares and associates one dataset per site;
- dispatches the whole campaign at once (`medperf benchmark run`'s dispatch), then stops the last site's
  worker for --offline-s seconds (its runs wait, scheduled, on its pool; runs it had started crash) and
  starts it again; like a committee re-running `medperf benchmark run`, it dispatches the campaign again
  every --redispatch-s seconds (only pairs without a result and without a live run get a new run);
- the data owners answer each approval form only once it has waited --approval-delay-s seconds;
- samples the resident memory of the Prefect server and of the registry every second.

Prints: results finalized per pair (expected exactly one each), duplicates, runs by final state, the
campaign's wall time, and the peak RSS of each server. Exit status 1 when a pair lacks its one result.

Usage: .venv/bin/python benchmarks/soak.py [--models 20] [--approval-delay-s 60] [--offline-s 180]
"""

import argparse
import collections
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # flows/, deployments/ and medperf/ when run from a checkout
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from benchmarks.stack_figures import rss_mb, stack_module  # noqa: E402

SITES = 3


class PeakMemory(threading.Thread):
    """Samples the RSS of named process groups every second; keeps the peak of each."""

    def __init__(self, groups: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.groups, self.peak_mb = groups, dict.fromkeys(groups, 0.0)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            for name, pgid in self.groups.items():
                self.peak_mb[name] = max(self.peak_mb[name], rss_mb(pgid))


def finalized_pairs(client: Any, benchmark_id: int) -> int:
    """How many (model, dataset) pairs of the benchmark have a FINALIZED result."""
    from medperf.client import iter_all
    from medperf.schemas import ResultStatus

    results = iter_all(client.results.list, benchmark_id=benchmark_id)
    return len({(r.model_id, r.dataset_id) for r in results if r.status is ResultStatus.FINALIZED})


def main() -> int:
    """Run the soak and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--approval-delay-s", type=float, default=60.0)
    parser.add_argument("--offline-s", type=float, default=180.0)
    parser.add_argument("--redispatch-s", type=float, default=120.0)
    parser.add_argument("--deadline-s", type=float, default=5400.0)
    args = parser.parse_args()

    from prefect.settings import PREFECT_API_URL, temporary_settings

    from medperf.campaign.dispatch import dispatch_campaign
    from medperf.campaign.snapshot import load_snapshot
    from medperf.client import iter_all
    from medperf.demo.stack_world import prepare_and_associate, stack_committee, stack_site
    from medperf.demo.tiny_world import read_run
    from medperf.schemas import ResultStatus

    stacks = stack_module()
    work = Path(tempfile.mkdtemp(prefix="medperf-soak-"))
    stack = stacks.up(work / "stack")
    os.environ.update(stack.env())
    memory = PeakMemory({"prefect_server": stack.pids["prefect"], "registry": stack.pids["registry"]})
    memory.start()
    figures: dict[str, Any] = {"models": args.models, "sites": SITES, "approval_delay_s": args.approval_delay_s,
                               "offline_s": args.offline_s}
    sites = []
    try:
        with temporary_settings(updates={PREFECT_API_URL: stack.prefect_api_url}):
            committee = stack_committee(stack, work, f"committee-{os.getpid()}@soak.example")
            benchmark = committee.create_benchmark()
            for index in range(SITES):
                sites.append(stack_site(stack, committee, f"soak-site-{index}-{os.getpid() % 10000}", work,
                                        f"owner-{index}-{os.getpid()}@hospital.example"))
            for site in sites:
                site.up(continuous_paused=True)
            prepare_and_associate(committee, sites, benchmark.id, "datasets prepared", deadline_s=900)
            for threshold in range(args.models - 1):  # plus the reference model
                committee.associate_model(committee.register_model(threshold=6 + threshold % 10 + threshold / 100))

            started = time.monotonic()
            dispatched = dispatch_campaign(load_snapshot(committee.client, benchmark.id))
            run_ids = [item.flow_run_id for item in dispatched]
            offline, back_at = sites[-1], started + args.offline_s
            offline.down()
            first_seen: dict[str, float] = {}

            def late(run_id: str) -> bool:
                first_seen.setdefault(run_id, time.monotonic())
                return time.monotonic() - first_seen[run_id] >= args.approval_delay_s

            states: dict[str, str] = {}
            shown, dispatched_at, redispatched = 0.0, time.monotonic(), 0
            while time.monotonic() - started < args.deadline_s:
                if back_at and time.monotonic() >= back_at:
                    offline.start_worker()
                    back_at = 0.0
                if time.monotonic() - dispatched_at >= args.redispatch_s:
                    again = dispatch_campaign(load_snapshot(committee.client, benchmark.id))
                    run_ids += [item.flow_run_id for item in again]
                    redispatched += len(again)
                    dispatched_at = time.monotonic()
                for site in sites:
                    site.approve_waiting(only=late)
                runs = {run_id: read_run(run_id) for run_id in run_ids}
                states = {run_id: str(run.state.name) if run.state else "?" for run_id, run in runs.items()}
                done = all(run.state is not None and run.state.is_final() for run in runs.values())
                if done and finalized_pairs(committee.client, benchmark.id) >= args.models * SITES:
                    break
                if time.monotonic() - shown >= 30:  # progress on stderr; the figures go to stdout at the end
                    shown = time.monotonic()
                    counts = dict(collections.Counter(states.values()))
                    print(f"[soak] {shown - started:6.0f} s  {counts}", file=sys.stderr, flush=True)
                time.sleep(2.0)
            figures["wall_s"] = round(time.monotonic() - started, 1)
            figures["runs"] = len(run_ids)
            figures["redispatched"] = redispatched
            figures["final_states"] = dict(collections.Counter(states.values()))
            results = [r for r in iter_all(committee.client.results.list, benchmark_id=benchmark.id)
                       if r.status is ResultStatus.FINALIZED]
            per_pair = collections.Counter((r.model_id, r.dataset_id) for r in results)
            figures["pairs_expected"] = args.models * SITES
            figures["pairs_with_one_result"] = sum(1 for n in per_pair.values() if n == 1)
            figures["duplicates"] = sum(n - 1 for n in per_pair.values() if n > 1)
    finally:
        memory.stopped.set()
        for site in sites:
            site.down()
        stacks.down(work / "stack")
    figures["peak_rss_mb"] = memory.peak_mb
    print(json.dumps(figures, indent=2))
    ok = figures.get("pairs_with_one_result") == figures["pairs_expected"] and figures.get("duplicates") == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
