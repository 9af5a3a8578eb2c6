"""What the data owner sees and answers at the approval step, and how an answer is judged."""

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from medperf.site.approval_code import code_matches
from medperf.site.payloads import Payload, payload_dict, payload_digest


def _flatten(value: Any, prefix: str) -> list[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        rows: list[tuple[str, Any]] = []
        for key in sorted(value):
            rows.extend(_flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return rows
    return [(prefix, value)]


def payload_rows(payload: Payload) -> list[dict[str, str]]:
    """The payload as a two-column table (field, value) for a Prefect table artifact."""
    return [
        {"field": name, "value": json.dumps(value, sort_keys=True)}
        for name, value in _flatten(payload_dict(payload), "")
    ]


def form_description(title: str, payload: Payload) -> str:
    """The markdown shown above the approval form: exactly the payload that would be uploaded."""
    body = json.dumps(payload_dict(payload), indent=2, sort_keys=True)
    return (
        f"## {title}\n\n"
        "If you approve, **exactly this payload** is uploaded to the MedPerf registry; nothing else leaves "
        "the site.\n\n"
        f"```json\n{body}\n```\n\n"
        f"Payload sha256: `{payload_digest(payload)}`\n\n"
        "Enter the approval code shown by `medperf approvals ls` **on the site machine**. "
        "A wrong code or a rejection uploads nothing."
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


def judge(answer: Answer, secret: bytes, flow_run_id: str, payload_sha256: str) -> Decision:
    """Approved only with approve=True and the code for this run and this exact payload."""
    if not answer.approve:
        return Decision.REJECTED
    if not code_matches(secret, flow_run_id, payload_sha256, answer.approval_code):
        return Decision.WRONG_CODE
    return Decision.APPROVED
