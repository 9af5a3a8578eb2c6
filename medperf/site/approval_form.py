"""What the data owner sees and answers at the approval step, and how an answer is judged."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from medperf.durations import human_duration
from medperf.schemas.task import TaskDeclaration
from medperf.site.approval_code import code_matches
from medperf.site.drift import drift_rows
from medperf.site.payloads import Payload, payload_dict, payload_digest
from medperf.site.subgroups import subgroup_rows

Choice = Literal["approve", "reject"]
SIGNIFICANT_DIGITS = 4  # values in the readable table; the hash (and the upload) cover the exact values
HASH_GROUP = 16
REJECTED_STATE = "Rejected"  # the name of the terminal state of a run whose upload the data owner refused
QUEUED_STATE = "Queued"  # a run whose approved upload waits in the site's outbox for the registry


def _flatten(value: Any, prefix: str) -> list[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        rows: list[tuple[str, Any]] = []
        for key in sorted(value):
            rows.extend(_flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return rows
    return [(prefix, value)]


def payload_rows(payload: Payload) -> list[dict[str, str]]:
    """The payload as a two-column table (field, exact JSON value) for a Prefect table artifact."""
    return [
        {"field": name, "value": json.dumps(value, sort_keys=True)}
        for name, value in _flatten(payload_dict(payload), "")
    ]


def readable_value(value: Any) -> str:
    """A value as a person reads it: floats to SIGNIFICANT_DIGITS, hashes and text whole, lists inline."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:.{SIGNIFICANT_DIGITS}g}"
    if isinstance(value, list):
        return "[" + ", ".join(readable_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{}"
    return str(value)


def grouped_hash(digest: str) -> str:
    """A hex hash in groups of 16 so it wraps in a narrow form yet is shown whole."""
    return " ".join(digest[i : i + HASH_GROUP] for i in range(0, len(digest), HASH_GROUP))


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def payload_table(payload: Payload, names: Mapping[str, str]) -> str:
    """The payload as a markdown table, then its hashes whole in a list (a table cell would cut them off).

    An id field shows the entity's name from `names` next to its id.
    """
    lines = ["| Field | Value |", "|---|---|"]
    hashes = []
    for field, value in _flatten(payload_dict(payload), ""):
        if field == "kind":
            continue
        shown = readable_value(value)
        if field in names:
            shown = f"{names[field]} (id {shown})"
        elif field.endswith("_hash") and isinstance(value, str):
            hashes.append(f"- {_cell(field)}: {grouped_hash(value)}")
            shown = f"{value[:HASH_GROUP]}… (whole below)"
        lines.append(f"| {_cell(field)} | {_cell(shown)} |")
    return "\n".join(lines) + ("\n\n" + "\n".join(hashes) if hashes else "")


def rows_table(heading: str, rows: list[dict[str, str]]) -> str:
    """A markdown table under a heading from rows of equal keys; empty text for no rows."""
    if not rows:
        return ""
    columns = list(rows[0])
    lines = [f"### {heading}", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row.get(column, "")) for column in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n\n"


def summary_tables(payload: Payload, task: TaskDeclaration | None) -> str:
    """Readable summaries of parts of the payload: drift against the benchmark's reference, subgroup metrics."""
    data = payload_dict(payload)
    text = ""
    if isinstance(data.get("statistics"), Mapping):
        text += rows_table("Drift against the benchmark's reference data", drift_rows(data["statistics"]))
    if task is not None and isinstance(data.get("metrics"), Mapping):
        text += rows_table("Subgroups (below k: suppressed, nothing released)", subgroup_rows(data["metrics"], task))
    return text


def form_description(
    title: str,
    payload: Payload,
    names: Mapping[str, str] | None = None,
    wait_s: float | None = None,
    task: TaskDeclaration | None = None,
) -> str:
    """The markdown shown above the approval form: the exact payload as a table, its hash, and what follows."""
    wait = f" This run waits up to {human_duration(wait_s)} for an answer." if wait_s else ""
    return (
        f"## {title}\n\n"
        "If you approve, **exactly this payload** is uploaded to the MedPerf registry; nothing else leaves "
        "the site. Numbers are rounded here for reading; the upload carries the exact values covered by the "
        "hash below (the exact JSON is in the run's *Artifacts* tab and in `medperf approvals ls --all`).\n\n"
        f"{payload_table(payload, names or {})}\n\n"
        f"{summary_tables(payload, task)}"
        f"Payload sha256: {grouped_hash(payload_digest(payload))}\n\n"
        "### Your answer\n\n"
        "1. **Decision**: *approve* uploads this payload; *reject* ends the run as **Rejected** and uploads "
        "nothing.\n"
        "2. **Approval code**: run `medperf approvals ls` **on the site machine** and copy this run's code "
        "(case and the dash do not matter). Approving and rejecting both need it; a wrong code decides nothing "
        "and the form asks again.\n"
        f"3. **Comment** (optional): why; kept with the decision on the site.{wait}"
    )


class Decision(StrEnum):
    """How an approval step ended."""

    APPROVED = "approved"
    REJECTED = "rejected"
    WRONG_CODE = "wrong-code"
    STANDING_CONSENT = "standing-consent"


@dataclass(frozen=True)
class Answer:
    """The owner's answer as received from the form."""

    approve: bool
    comment: str
    approval_code: str


def run_input(*, approve: bool, approval_code: str, comment: str = "") -> dict[str, str]:
    """The form's answer as the run-input API takes it (what the Prefect UI sends)."""
    choice: Choice = "approve" if approve else "reject"
    return {"decision": choice, "approval_code": approval_code, "comment": comment}


def judge(answer: Answer, secret: bytes, flow_run_id: str, payload_sha256: str) -> Decision:
    """Approved or rejected only with the code for this run and this exact payload; otherwise WRONG_CODE.

    Rejecting needs the code too: someone who reaches only the shared Prefect UI can neither approve nor
    reject a site's upload.
    """
    if not code_matches(secret, flow_run_id, payload_sha256, answer.approval_code):
        return Decision.WRONG_CODE
    return Decision.APPROVED if answer.approve else Decision.REJECTED


def not_taken_reason(resume_result: Any) -> str | None:
    """Why Prefect did not take an answer (the result of `resume_flow_run`), or None when it did.

    A busy server can answer ABORT ("database is locked") as a normal result, not an HTTP error; the input is
    stored only on ACCEPT, so an answer that was not taken can simply be sent again.
    """
    status = getattr(resume_result, "status", None)
    if str(getattr(status, "value", status)).upper() == "ACCEPT":
        return None
    return getattr(getattr(resume_result, "details", None), "reason", None) or str(status)
