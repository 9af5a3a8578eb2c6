"""The site operator's part of the demo: show each payload waiting at a site, answer it with the site's code."""

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal
from uuid import UUID

from medperf.demo.layout import SiteFolders
from medperf.demo.transient import retrying
from medperf.errors import MedPerfError
from medperf.site.approval_code import approval_code, load_or_create_site_secret
from medperf.site.approval_form import REJECTED_STATE, run_input, send_answer
from medperf.site.run_store import PendingApproval, RunStore

Answer = Literal["approve", "reject", "ui"]
Decide = Callable[[SiteFolders, PendingApproval, str], Answer]
Show = Callable[[str], None]
POLL_S = 1.0
SLOW_POLL_S = 10.0


KNOWN_METRICS = ("auc", "accuracy", "sensitivity", "specificity")


class DemoRunFailed(MedPerfError):
    """A site flow run of the demo did not complete."""


def _number(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else json.dumps(value)


def _metric_line(metrics: dict[str, Any]) -> str:
    shown = []
    for name in sorted(key for key, value in metrics.items() if f"{key}_ci_low" in metrics or key in KNOWN_METRICS):
        low, high = metrics.get(f"{name}_ci_low"), metrics.get(f"{name}_ci_high")
        shown.append(f"{name} {_number(metrics[name])} [{_number(low)}, {_number(high)}]")
    return "; ".join(shown) + f"; num_cases {metrics.get('num_cases')}"


def payload_lines(pending: PendingApproval) -> list[str]:
    """The payload as the owner reads it: every field; per-feature statistics summarised to one line."""
    payload = dict(pending.payload)
    lines = [f"{pending.title}  (payload sha256 {pending.payload_sha256[:16]}...)"]
    if pending.kind == "results":  # a site's campaign run: one numbered row per result
        for number, row in enumerate(payload.pop("rows", []), start=1):
            lines.append(f"row {number}: model {row.get('model_id')} on dataset {row.get('dataset_id')}: "
                         + _metric_line(row.get("metrics", {})))
    elif pending.kind == "result":
        lines.append("metrics: " + _metric_line(payload.pop("metrics", {})))
    else:
        statistics = dict(payload.pop("statistics", {}))
        features = statistics.pop("features", None)
        lines.append("statistics: " + json.dumps(statistics, sort_keys=True))
        if isinstance(features, dict):
            lines.append(f"statistics.features: mean and std of {len(features)} features "
                         f"(e.g. {next(iter(sorted(features)), '-')}: {json.dumps(features[min(features)])})")
    lines.append("other fields: " + json.dumps({k: v for k, v in payload.items() if k != "kind"}, sort_keys=True))
    return lines


@dataclass
class ApprovalDesk:
    """Answers the approval forms of a set of site flow runs until they all end."""

    sites: list[SiteFolders]
    decide: Decide
    show: Show
    answered: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)

    def answer_waiting(self, client: Any, runs: dict[str, Any]) -> None:
        """Show and answer every payload a site recorded whose run (in `runs`) waits at its approval form."""
        for site in self.sites:
            for pending in RunStore(site.data_root).approvals():
                run = runs.get(pending.flow_run_id)
                if run is None or pending.flow_run_id in self.answered or pending.decision is not None:
                    continue
                if not (run.state and run.state.is_paused() and run.state.state_details.run_input_keyset):
                    continue
                code = approval_code(load_or_create_site_secret(site.home), pending.flow_run_id,
                                     pending.payload_sha256)
                self.show(f"[{site.name}] " + "\n    ".join(payload_lines(pending)))
                answer = self.decide(site, pending, code)
                if answer == "ui":
                    self.answered.add(pending.flow_run_id)
                    self.counts[answer] = self.counts.get(answer, 0) + 1
                    continue
                given = run_input(approve=answer == "approve", approval_code=code, comment="medperf demo")
                reason = retrying(partial(send_answer, client, UUID(pending.flow_run_id), given))
                if reason is not None:  # nothing was stored: the form is still open; answer again next poll
                    self.show(f"[{site.name}] Prefect did not take the answer ({reason}); trying again")
                    continue
                self.answered.add(pending.flow_run_id)
                self.counts[answer] = self.counts.get(answer, 0) + 1
                self.show(f"[{site.name}] {'approved' if answer == 'approve' else 'rejected'} with code {code}: "
                          f"`medperf approve {pending.flow_run_id}`")

    def finish(self, flow_run_ids: Iterable[str], deadline_s: float, what: str) -> dict[str, str]:
        """Answer forms until every run is final; returns run id -> final state name (DemoRunFailed otherwise)."""
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

        ids = list(flow_run_ids)
        wanted = FlowRunFilter(id=FlowRunFilterId(any_=[UUID(run_id) for run_id in ids]))
        end = time.monotonic() + deadline_s  # machine time: waits for a person's answer do not count
        last = time.monotonic()
        with get_client(sync_client=True) as client:
            while True:
                began = time.monotonic()
                found = retrying(partial(client.read_flow_runs, flow_run_filter=wanted, limit=len(ids)))
                if time.monotonic() - began > SLOW_POLL_S:
                    self.show(f"(the Prefect API took {time.monotonic() - began:.0f} s to answer; it is busy)")
                runs = {str(run.id): run for run in found}
                self.answer_waiting(client, runs)
                states = {run_id: runs[run_id].state if run_id in runs else None for run_id in ids}
                if all(state is not None and state.is_final() for state in states.values()):
                    break
                now = time.monotonic()
                if any(state is not None and state.is_paused() for state in states.values()):
                    end += now - last  # someone is being asked: their time is not the machine's
                last = now
                if now > end:
                    unfinished = [s for s in states.values() if not (s and s.is_final())]
                    late = sorted({str(s.name) if s else "unknown" for s in unfinished})
                    raise DemoRunFailed(f"{what}: runs not finished after {deadline_s:.0f} s of work, not counting "
                                        f"time waiting for approval (states {late}); see each run's logs in the "
                                        "Prefect UI and the site worker logs under <home>/sites/<site>/home/sites/")
                time.sleep(POLL_S)
        names = {run_id: str(state.name) if state else "unknown" for run_id, state in states.items()}
        failed = {run_id: name for run_id, name in names.items() if name not in ("Completed", REJECTED_STATE)}
        if failed:
            first, name = next(iter(failed.items()))
            raise DemoRunFailed(f"{what}: {len(failed)} run(s) did not complete (run {first}: {name}); "
                                "see the failure record under <home>/sites/<site>/data/runs/<run id>/")
        return names
