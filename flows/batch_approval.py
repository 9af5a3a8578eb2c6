"""A site campaign run's one approval: every result as a numbered row, rows the owner rejects never sent."""

from dataclasses import dataclass, field
from typing import Any

from prefect import get_run_logger
from prefect.states import State

from flows.approval import Approved, await_approval, consent_holds, record_standing_consent
from flows.result_compute import ComputedResult
from medperf.schemas.task import TaskDeclaration
from medperf.settings import SiteSettings
from medperf.site.outbox import Outbox, OutboxEntry
from medperf.site.payloads import BatchPayload, payload_dict, payload_digest
from tasks.upload import send_approved

Pair = tuple[int, int]  # (model id, dataset id)


@dataclass
class BatchOutcome:
    """What became of each approved row: sent (registry id), queued in the outbox, rejected, or refused."""

    sent: dict[Pair, int] = field(default_factory=dict)
    queued: list[Pair] = field(default_factory=list)
    rejected: list[Pair] = field(default_factory=list)
    refused: dict[Pair, str] = field(default_factory=dict)


def _pair(payload: dict[str, Any]) -> Pair:
    return int(payload["model_id"]), int(payload["dataset_id"])


def approve_batch_then_send(
    flow_run_id: str,
    title: str,
    results: list[ComputedResult],
    settings: SiteSettings,
    timeout_s: float,
    task: TaskDeclaration | None = None,
    *,
    standing_consent: bool = False,
    policy_version: int | None = None,
) -> BatchOutcome | State[Any]:
    """Ask the data owner once for every result not approved before, then send each approved row on its own.

    A row whose exact payload was approved before (by a single run or an earlier batch) is not shown again,
    only sent. Each approved row goes to the site's outbox first, as a single result does, so an outage
    loses nothing and a later run of the same pair is never asked again. A rejection of the whole table ends
    the run "Rejected"; while another run of this site asks for the same table, this one ends "Duplicate".
    With standing_consent, the table is uploaded without asking when the data owner's standing consent covers
    every row (checked here as for a single result, `policy_version` included); otherwise the owner is asked.
    """
    logger = get_run_logger()
    outbox = Outbox(settings.data_root)
    entries: list[OutboxEntry] = []
    ask: list[ComputedResult] = []
    for result in results:
        earlier = outbox.approved(result.payload.kind, payload_digest(result.payload))
        if earlier is not None:
            entries.append(earlier)
        else:
            ask.append(result)
    outcome = BatchOutcome()
    if ask:
        batch = BatchPayload(benchmark_id=ask[0].payload.benchmark_id, rows=tuple(result.payload for result in ask))
        covered = standing_consent and all(
            not result.payload.partial and consent_holds(result.payload, settings, policy_version) for result in ask
        )
        answer: Approved | State[Any]
        if covered:  # checked here, on the site, row by row: never taken on trust from the dispatcher
            record_standing_consent(flow_run_id, title, batch, settings)
            answer = Approved()
        else:
            if standing_consent:
                logger.info("the standing consent does not cover every row: the data owner is asked for the table")
            answer = await_approval(flow_run_id, title, batch, settings, timeout_s, task)  # task: subgroup tables
        if isinstance(answer, State):
            return answer
        for number, result in enumerate(ask, start=1):
            row = result.payload
            if number in answer.rejected_rows:
                outcome.rejected.append((row.model_id, row.dataset_id))
                continue
            entries.append(outbox.put(f"result-{flow_run_id}-{row.model_id}-{row.dataset_id}", row.kind, flow_run_id,
                                      payload_dict(row), payload_digest(row), {"result_id": result.result_id}))
    for entry in entries:
        sent = send_approved(entry.entry_id, settings)
        pair = _pair(entry.payload)
        if sent.status == "sent" and sent.registry_id is not None:
            outcome.sent[pair] = sent.registry_id
        elif sent.status == "failed-will-retry":
            outcome.queued.append(pair)
        else:
            outcome.refused[pair] = sent.error
    logger.info("batch: %d sent, %d queued, %d rejected, %d refused", len(outcome.sent), len(outcome.queued),
                len(outcome.rejected), len(outcome.refused))
    return outcome
