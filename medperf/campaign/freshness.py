"""When a finalized result still stands for its pair, and why not when it does not.

A new dataset version is a new dataset (an OPERATION dataset is frozen and its prepared-data hash unique),
and a new association has no result yet: both show up as NO_RESULT.
"""

from enum import StrEnum

from medperf.campaign.snapshot import CampaignSnapshot
from medperf.schemas import ResultPublic, ResultStatus


class StaleReason(StrEnum):
    """Why a pair needs (another) evaluation."""

    NO_RESULT = "no finalized result"
    NEW_MODEL_VERSION = "the model has a new container"
    NEW_EVALUATOR = "the benchmark's evaluator changed"


def latest_finalized(snapshot: CampaignSnapshot, model_id: int, dataset_id: int) -> ResultPublic | None:
    """The most recently finalized result of the pair, if any."""
    finalized = [
        r
        for r in snapshot.results
        if r.model_id == model_id
        and r.dataset_id == dataset_id
        and r.status == ResultStatus.FINALIZED
        and r.finalized_at is not None
    ]
    return max(finalized, key=lambda r: (r.finalized_at, r.id), default=None)


def stale_reason(snapshot: CampaignSnapshot, model_id: int, dataset_id: int) -> StaleReason | None:
    """None when the pair's latest finalized result was made with today's model container and evaluator."""
    result = latest_finalized(snapshot, model_id, dataset_id)
    if result is None or result.finalized_at is None:
        return StaleReason.NO_RESULT
    model = snapshot.models[model_id]
    if result.model_container_id is not None and result.model_container_id != model.container_id:
        return StaleReason.NEW_MODEL_VERSION
    if model.updated_at > result.finalized_at and result.model_container_id is None:
        return StaleReason.NEW_MODEL_VERSION
    evaluator = snapshot.benchmark.evaluator_container_id
    if result.evaluator_container_id is not None and result.evaluator_container_id != evaluator:
        return StaleReason.NEW_EVALUATOR
    return None
