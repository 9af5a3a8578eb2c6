"""The status of one (model, dataset) evaluation, from the registry and from the Prefect run that carries it."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from medperf.campaign.freshness import StaleReason, latest_finalized, stale_reason
from medperf.campaign.snapshot import CampaignSnapshot
from medperf.schemas import ResultStatus
from medperf.site.approval_form import QUEUED_STATE, REJECTED_STATE


class CellStatus(StrEnum):
    """What a person sees in one cell of the campaign table."""

    DONE = "done"
    AWAITING_APPROVAL = "awaiting approval"
    UPLOAD_QUEUED = "approved, upload queued"
    RUNNING = "running"
    QUEUED = "queued"
    LATE = "late"
    FAILED = "failed"
    REJECTED = "rejected"
    PENDING = "pending"
    OUTDATED = "outdated"
    MISSING = "missing"


# The order in which one (model, site) cell summarises several datasets: the least advanced first.
SUMMARY_ORDER = (
    CellStatus.FAILED,
    CellStatus.REJECTED,
    CellStatus.LATE,
    CellStatus.MISSING,
    CellStatus.OUTDATED,
    CellStatus.PENDING,
    CellStatus.QUEUED,
    CellStatus.RUNNING,
    CellStatus.AWAITING_APPROVAL,
    CellStatus.UPLOAD_QUEUED,
    CellStatus.DONE,
)


@dataclass(frozen=True)
class RunState:
    """The latest Prefect run of a pair: its state type and name (e.g. SCHEDULED/Late, PAUSED/Suspended)."""

    flow_run_id: str
    state_type: str
    state_name: str
    created: datetime | None = None


def status_of_run(run: RunState) -> CellStatus:
    """Map a Prefect state to a cell: Late -> late, Paused/Suspended -> awaiting approval, and so on.

    A run the data owner rejected ends Cancelled, named "Rejected" (flows/approval.py): a decision, not a failure.
    """
    kind, name = run.state_type.upper(), run.state_name.lower()
    if kind == "SCHEDULED":
        return CellStatus.LATE if name == "late" else CellStatus.QUEUED
    if kind == "PENDING":
        return CellStatus.QUEUED
    if kind == "RUNNING" or kind == "CANCELLING":
        return CellStatus.RUNNING
    if kind == "PAUSED":
        return CellStatus.AWAITING_APPROVAL
    if kind == "COMPLETED":
        return CellStatus.UPLOAD_QUEUED if name == QUEUED_STATE.lower() else CellStatus.DONE
    if kind == "CANCELLED" and name == REJECTED_STATE.lower():
        return CellStatus.REJECTED
    return CellStatus.FAILED


def pair_status(snapshot: CampaignSnapshot, model_id: int, dataset_id: int, run: RunState | None) -> CellStatus:
    """A current finalized result is done whatever Prefect says; otherwise the live run decides.

    Without a run: a PENDING registry result means a run started somewhere (pending), an old result means
    outdated, nothing means missing. A completed run without a current result also counts as outdated.
    """
    reason = stale_reason(snapshot, model_id, dataset_id)
    if reason is None:
        return CellStatus.DONE
    if run is not None:
        live = status_of_run(run)
        if live is not CellStatus.DONE:
            return live
    if reason is not StaleReason.NO_RESULT and latest_finalized(snapshot, model_id, dataset_id) is not None:
        return CellStatus.OUTDATED
    opened = any(
        r.model_id == model_id and r.dataset_id == dataset_id and r.status == ResultStatus.PENDING
        for r in snapshot.results
    )
    return CellStatus.PENDING if opened else CellStatus.MISSING


def summarize(statuses: list[CellStatus]) -> CellStatus:
    """One status for several datasets of a site: the least advanced of them."""
    if not statuses:
        return CellStatus.MISSING
    return min(statuses, key=SUMMARY_ORDER.index)
