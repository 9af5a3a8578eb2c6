"""What the data owner sees and answers at the approval step, and how an answer is judged."""

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from medperf.durations import human_duration
from medperf.release_policy import SUBGROUPS_KEY
from medperf.schemas.task import TaskDeclaration
from medperf.site.approval_code import code_matches
from medperf.site.drift import drift_rows
from medperf.site.payloads import BatchPayload, Payload, payload_dict, payload_digest
from medperf.site.subgroups import subgroup_rows

Choice = Literal["approve", "reject"]
SIGNIFICANT_DIGITS = 4  # values in the readable table; the hash (and the upload) cover the exact values
HASH_GROUP = 16
REJECTED_STATE = "Rejected"  # the name of the terminal state of a run whose upload the data owner refused
QUEUED_STATE = "Queued"  # a run whose approved upload waits in the site's outbox for the registry
FORM_SAVE_WAIT_S = 10.0  # how long an answer is sent again while Prefect has the Suspended state but not the form
FORM_NOT_SAVED = "schema not found"  # Prefect's reason then ("Run input schema not found.")


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


def _overall(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """A result's metrics without its subgroups (those get a table per row below the batch's table)."""
    return {name: value for name, value in metrics.items() if name != SUBGROUPS_KEY}


def _row_label(number: int, model_id: int, dataset_id: int, names: Mapping[str, str]) -> str:
    model = names.get(f"model_id:{model_id}", f"model {model_id}")
    dataset = names.get(f"dataset_id:{dataset_id}", f"dataset {dataset_id}")
    return f"row {number}: {model} on {dataset}"


def batch_table(payload: BatchPayload, names: Mapping[str, str]) -> str:
    """A batch as one numbered row per result: model, dataset and every overall metric, readable.

    `names` maps "model_id:ID" and "dataset_id:ID" to the entities' names where the site can see them.
    """
    metrics = sorted({name for row in payload.rows for name, _ in _flatten(_overall(row.metrics), "")})
    lines = ["| Row | Model | Dataset | " + " | ".join(_cell(name) for name in metrics) + " |",
             "|" + "---|" * (3 + len(metrics))]
    for number, row in enumerate(payload.rows, start=1):
        values = dict(_flatten(_overall(row.metrics), ""))
        model = names.get(f"model_id:{row.model_id}", "")
        dataset = names.get(f"dataset_id:{row.dataset_id}", "")
        cells = [str(number) + (" (partial)" if row.partial else ""),
                 f"{model} (id {row.model_id})" if model else f"id {row.model_id}",
                 f"{dataset} (id {row.dataset_id})" if dataset else f"id {row.dataset_id}",
                 *(readable_value(values[name]) if name in values else "" for name in metrics)]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines)


def parse_rows(text: str, count: int) -> frozenset[int]:
    """Row numbers from "2, 5 7" (1-based); ValueError naming what is wrong (not a number, out of 1..count)."""
    rows = set()
    for part in text.replace(",", " ").split():
        if not part.isdigit() or not 1 <= int(part) <= count:
            raise ValueError(f"reject_rows: {part!r} is not a row number between 1 and {count}")
        rows.add(int(part))
    return frozenset(rows)


def payload_table(payload: Payload, names: Mapping[str, str]) -> str:
    """The payload as a markdown table, then its hashes whole in a list (a table cell would cut them off).

    An id field shows the entity's name from `names` next to its id; a batch is a table of numbered rows.
    """
    if isinstance(payload, BatchPayload):
        return batch_table(payload, names)
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


def summary_tables(payload: Payload, task: TaskDeclaration | None, names: Mapping[str, str] | None = None) -> str:
    """Readable summaries of parts of the payload: drift against the benchmark's reference, subgroup metrics
    (for a batch, one subgroup table per row that has subgroups, headed by its row number)."""
    if isinstance(payload, BatchPayload):
        if task is None:
            return ""
        return "".join(
            rows_table(f"Subgroups of {_row_label(number, row.model_id, row.dataset_id, names or {})} "
                       "(below k: suppressed, nothing released)", subgroup_rows(row.metrics, task))
            for number, row in enumerate(payload.rows, start=1)
        )
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
    rows = (
        "\n4. **Reject rows** (optional): the numbers of rows *not* to upload, e.g. `2, 5`; approving uploads "
        "every other row, each on its own."
        if isinstance(payload, BatchPayload) else ""
    )
    return (
        f"## {title}\n\n"
        "If you approve, **exactly this payload** is uploaded to the MedPerf registry; nothing else leaves "
        "the site. Numbers are rounded here for reading; the upload carries the exact values covered by the "
        "hash below (the exact JSON is in the run's *Artifacts* tab and in `medperf approvals ls --all`).\n\n"
        f"{payload_table(payload, names or {})}\n\n"
        f"{summary_tables(payload, task, names)}"
        f"Payload sha256: {grouped_hash(payload_digest(payload))}\n\n"
        "### Your answer\n\n"
        "1. **Decision**: *approve* uploads this payload; *reject* ends the run as **Rejected** and uploads "
        "nothing.\n"
        "2. **Approval code**: run `medperf approvals ls` **on the site machine** and copy this run's code "
        "(case and the dash do not matter). Approving and rejecting both need it; a wrong code decides nothing "
        "and the form asks again.\n"
        f"3. **Comment** (optional): why; kept with the decision on the site.{rows}{wait}"
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


def run_input(*, approve: bool, approval_code: str, comment: str = "", reject_rows: str = "") -> dict[str, str]:
    """The form's answer as the run-input API takes it (what the Prefect UI sends); reject_rows ("2, 5")
    only for a batch's form."""
    choice: Choice = "approve" if approve else "reject"
    answer = {"decision": choice, "approval_code": approval_code, "comment": comment}
    return {**answer, "reject_rows": reject_rows} if reject_rows else answer


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


def send_answer(
    client: Any, flow_run_id: Any, answer: dict[str, str], patience_s: float = FORM_SAVE_WAIT_S
) -> str | None:
    """Resume the paused run with the answer; why Prefect did not take it, or None when it did.

    `suspend_flow_run` sets the Suspended state (naming the form) before it saves the form's schema; an
    answer in between is refused with "Run input schema not found." and stores nothing, so it is sent again
    for up to patience_s. Any other refusal is returned at once. `client` is a sync Prefect client.
    """
    deadline = time.monotonic() + patience_s
    while True:
        reason = not_taken_reason(client.resume_flow_run(flow_run_id, run_input=answer))
        if reason is None or FORM_NOT_SAVED not in reason.lower() or time.monotonic() >= deadline:
            return reason
        time.sleep(0.25)
