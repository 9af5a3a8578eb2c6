"""The local record of each site flow run: pending approvals, decisions, failures, sanity reports."""

import json
import os
import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from medperf.atomic_file import write_atomic

APPROVAL = "approval.json"
DECISION = "decision.json"
FAILURE = "failure.json"
SANITY_REPORT = "sanity_report.json"
ANSWERS = "answers.jsonl"  # every answer the run judged, in order: what `medperf approve` reports back
ANSWER_CLAIM = "answer.claim"  # held while one command on this machine sends an answer
WITHDRAWN = "withdrawn"  # the decision of an approval whose run stopped before anyone answered
_FAILURE_LOCK = threading.Lock()  # the pairs of one batch run fail on threads of one process


def _write_json(path: Path, data: Any) -> Path:
    return write_atomic(path, json.dumps(data, indent=2, sort_keys=True))


def _has_ids(payload: dict[str, Any], ids: dict[str, int]) -> bool:
    return all(payload.get(name) == value for name, value in ids.items())


def _now() -> str:
    """UTC with microseconds: a decision is compared with registry times that have them (a standing consent)."""
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class PendingApproval:
    """A payload waiting for the data owner's decision, as recorded on the site."""

    flow_run_id: str
    kind: str
    title: str
    payload: dict[str, Any]
    payload_sha256: str
    created_at: str
    decision: str | None


class RunStore:
    """Files under <data_root>/runs/<flow_run_id>/ (mode 0600); nothing here is ever uploaded."""

    def __init__(self, data_root: Path) -> None:
        self.root = data_root / "runs"

    def run_dir(self, flow_run_id: str) -> Path:
        """The folder of one flow run."""
        return self.root / flow_run_id

    def record_pending(
        self, flow_run_id: str, kind: str, title: str, payload: dict[str, Any], payload_sha256: str
    ) -> Path:
        """Record the payload shown for approval (kept across the re-run after a suspend).

        A run that asks again (a Retry after wrong codes or no answer) is waiting once more: the decision
        of its earlier try is set aside as decision.previous.json so `medperf approvals ls` lists it.
        """
        decided = self.run_dir(flow_run_id) / DECISION
        if decided.is_file():
            decided.replace(decided.with_suffix(".previous.json"))
        path = self.run_dir(flow_run_id) / APPROVAL
        record = {
            "flow_run_id": flow_run_id,
            "kind": kind,
            "title": title,
            "payload": payload,
            "payload_sha256": payload_sha256,
            "created_at": _now(),
        }
        if path.is_file():
            old = json.loads(path.read_text())
            if old.get("payload_sha256") == payload_sha256:
                record["created_at"] = old.get("created_at", record["created_at"])
        return _write_json(path, record)

    def record_decision(
        self, flow_run_id: str, decision: str, comment: str, rejected_rows: Collection[int] = ()
    ) -> Path:
        """Record the outcome: approved, rejected or wrong-code; for a batch, the row numbers it rejected."""
        data: dict[str, Any] = {"decision": decision, "comment": comment, "at": _now()}
        if rejected_rows:
            data["rejected_rows"] = sorted(rejected_rows)
        return _write_json(self.run_dir(flow_run_id) / DECISION, data)

    def withdraw_unanswered(self, flow_run_id: str, why: str) -> bool:
        """Mark the approval this run asked for, if nobody answered it, withdrawn (the run stopped): a
        re-dispatched run then asks anew and the owner never sees two open requests for one result."""
        if self.read(flow_run_id, APPROVAL) is None or self.read(flow_run_id, DECISION) is not None:
            return False
        self.record_decision(flow_run_id, WITHDRAWN, why)
        return True

    def record_answer(self, flow_run_id: str, decision: str, key: str = "") -> None:
        """Append how the run judged one answer (approved, rejected, wrong-code, invalid-rows) given at the form
        whose pause key is `key` (a suspended run judges earlier keys' answers again when it restarts)."""
        path = self.run_dir(flow_run_id) / ANSWERS
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "a") as out:
            out.write(json.dumps({"decision": decision, "at": _now(), "key": key}) + "\n")

    def answers(self, flow_run_id: str) -> list[dict[str, str]]:
        """Every answer the run judged, oldest first."""
        path = self.run_dir(flow_run_id) / ANSWERS
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def last_rejection(self, kind: str, **ids: int) -> datetime | None:
        """When the data owner last rejected a payload of this kind whose ids match (e.g. model_id=2), or None.

        A result ("result") also counts as rejected when it was a row of a batch ("results") that the owner
        rejected whole or by its row number.
        """
        moments = []
        for folder in self.root.iterdir() if self.root.is_dir() else []:
            record, decision = self.read(folder.name, APPROVAL), self.read(folder.name, DECISION)
            if record is None or decision is None:
                continue
            if record.get("kind") == kind:
                matches = decision.get("decision") == "rejected" and _has_ids(record["payload"], ids)
            elif kind == "result" and record.get("kind") == "results":
                rows = record["payload"].get("rows", [])
                refused = range(1, len(rows) + 1) if decision.get("decision") == "rejected" else (
                    decision.get("rejected_rows", []))
                matches = any(_has_ids(rows[number - 1], ids) for number in refused if 0 < number <= len(rows))
            else:
                matches = False
            if matches:
                moments.append(datetime.fromisoformat(decision["at"]))
        return max(moments, default=None)

    def record_failure(
        self, flow_run_id: str, step: str, message: str, details: dict[str, Any], *, pair: tuple[int, int] | None = None
    ) -> Path:
        """Record a failed step with its local details (log paths, exit code).

        With `pair` (model id, dataset id), the failure is one pair's of a run that evaluates several: it is
        added to the record's "pairs" list, each pair once (its first, most detailed record kept), and does
        not become the run's own failure (step, message), which stays free for what stops the whole run.
        """
        entry: dict[str, Any] = {"step": step, "message": message, "details": details, "at": _now()}
        path = self.run_dir(flow_run_id) / FAILURE
        with _FAILURE_LOCK:
            current = self.read(flow_run_id, FAILURE) or {}
            listed = list(current.get("pairs", []))
            if pair is None:
                return _write_json(path, {**entry, "pairs": listed} if listed else entry)
            if not any((item.get("model_id"), item.get("dataset_id")) == pair for item in listed):
                listed.append({**entry, "model_id": pair[0], "dataset_id": pair[1]})
            return _write_json(path, {**current, "pairs": listed})

    def run_failure(self, flow_run_id: str) -> dict[str, Any] | None:
        """The failure that stopped the run as a whole (step, message, details), or None."""
        record = self.read(flow_run_id, FAILURE)
        return record if record is not None and "step" in record else None

    def failed_pairs(self, flow_run_id: str) -> list[dict[str, Any]]:
        """The per-pair failures of a run that evaluated several pairs, in the order they failed."""
        record = self.read(flow_run_id, FAILURE)
        return list(record.get("pairs", [])) if record else []

    def record_sanity_report(self, flow_run_id: str, report: dict[str, Any]) -> Path:
        """Record failed expectations with sample case ids: on this site only."""
        return _write_json(self.run_dir(flow_run_id) / SANITY_REPORT, report)

    def read(self, flow_run_id: str, name: str) -> dict[str, Any] | None:
        """One record of a run, or None."""
        path = self.run_dir(flow_run_id) / name
        return json.loads(path.read_text()) if path.is_file() else None

    def approvals(self) -> list[PendingApproval]:
        """Every approval recorded on this site, newest first, with its decision if any."""
        out: list[PendingApproval] = []
        if not self.root.is_dir():
            return out
        for folder in self.root.iterdir():
            record = self.read(folder.name, APPROVAL)
            if record is None:
                continue
            decision = self.read(folder.name, DECISION)
            out.append(
                PendingApproval(
                    flow_run_id=record["flow_run_id"],
                    kind=record["kind"],
                    title=record["title"],
                    payload=record["payload"],
                    payload_sha256=record["payload_sha256"],
                    created_at=record["created_at"],
                    decision=decision["decision"] if decision else None,
                )
            )
        return sorted(out, key=lambda item: item.created_at, reverse=True)
