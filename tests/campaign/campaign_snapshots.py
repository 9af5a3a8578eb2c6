"""Build campaign snapshots in memory: a benchmark, its models and datasets, and results at given times."""

from datetime import UTC, datetime, timedelta
from typing import Any

from medperf.campaign.snapshot import CampaignSnapshot
from medperf.schemas import (
    ApprovalStatus,
    AssociationPublic,
    BenchmarkPublic,
    DatasetPublic,
    EntityState,
    ModelPublic,
    ReleasePolicy,
    ResultPublic,
    ResultStatus,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
EVALUATOR = 90


def at(minutes: int) -> datetime:
    """T0 + minutes."""
    return T0 + timedelta(minutes=minutes)


def benchmark(reference_model_id: int = 1, evaluator: int = EVALUATOR) -> BenchmarkPublic:
    """An approved benchmark (id 7)."""
    return BenchmarkPublic(
        id=7, name="b", description="", owner_id=1, data_preparation_container_id=80,
        reference_model_id=reference_model_id, evaluator_container_id=evaluator, demo_dataset_url=None,
        demo_dataset_sha256=None, sanity_suite=None, release_policy=ReleasePolicy(), state=EntityState.OPERATION,
        approval_status=ApprovalStatus.APPROVED, auto_approval_mode="NEVER", auto_approval_allowlist=[],
        created_at=T0, approved_at=T0,
    )


def model(model_id: int, container_id: int | None = None, updated: int = 0) -> ModelPublic:
    """Model `model_id` wrapping container 100+id unless given."""
    return ModelPublic(
        id=model_id, name=f"m{model_id}", owner_id=2, container_id=container_id or 100 + model_id, version="1",
        state=EntityState.OPERATION, created_at=T0, updated_at=at(updated),
    )


def dataset(dataset_id: int, site: str) -> DatasetPublic:
    """Dataset `dataset_id` living at `site`."""
    return DatasetPublic(
        id=dataset_id, name=f"d{dataset_id}", owner_id=3, site=site, benchmark_id=7,
        data_preparation_container_id=80, raw_data_hash="0" * 64, prepared_data_hash=f"{dataset_id:064d}",
        statistics={}, state=EntityState.OPERATION, created_at=T0, updated_at=T0,
    )


def association(assoc_id: int, *, model_id: int | None = None, dataset_id: int | None = None,
                status: ApprovalStatus = ApprovalStatus.APPROVED, created: int = 0) -> AssociationPublic:
    """An association decided at creation time."""
    return AssociationPublic(
        id=assoc_id, benchmark_id=7, dataset_id=dataset_id, model_id=model_id, requested_by=2, decided_by=1,
        approval_status=status, created_at=at(created), decided_at=at(created),
    )


_result_ids = iter(range(1, 10_000))


def result(model_id: int, dataset_id: int, *, finalized: int | None = 10, model_container: int | None = None,
           evaluator: int = EVALUATOR, **extra: Any) -> ResultPublic:
    """A result of the pair, finalized at T0+`finalized` minutes (None: still PENDING)."""
    return ResultPublic(
        id=next(_result_ids), benchmark_id=7, model_id=model_id, dataset_id=dataset_id, owner_id=3,
        status=ResultStatus.FINALIZED if finalized is not None else ResultStatus.PENDING,
        metrics={"accuracy": 0.9} if finalized is not None else None, partial=False,
        model_container_id=model_container or 100 + model_id, evaluator_container_id=evaluator,
        created_at=T0, finalized_at=at(finalized) if finalized is not None else None, **extra,
    )


def snapshot(models: list[ModelPublic], datasets: list[DatasetPublic], results: list[ResultPublic],
             evaluator: int = EVALUATOR) -> CampaignSnapshot:
    """A snapshot whose models and datasets are all approved (model 1 is the reference)."""
    return CampaignSnapshot(
        benchmark=benchmark(evaluator=evaluator),
        models={m.id: m for m in models},
        datasets={d.id: d for d in datasets},
        model_associations={m.id: association(m.id, model_id=m.id) for m in models if m.id != 1},
        dataset_associations={d.id: association(100 + d.id, dataset_id=d.id) for d in datasets},
        results=results,
    )
