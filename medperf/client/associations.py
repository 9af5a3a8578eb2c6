"""Benchmark<->dataset and benchmark<->model associations (append-only; latest wins)."""

from typing import Literal

from medperf.client.http import RegistryHttp, query
from medperf.schemas import ApprovalStatus, AssociationCreate, AssociationPublic, Page

AssociationKind = Literal["dataset", "model"]
ASSOCIATION_KINDS: tuple[AssociationKind, ...] = ("dataset", "model")


def _path(kind: AssociationKind) -> str:
    if kind not in ASSOCIATION_KINDS:
        raise ValueError(f"association kind must be one of {ASSOCIATION_KINDS}, not {kind!r}")
    return f"/associations/{kind}s"


class AssociationsApi:
    """/associations/datasets and /associations/models."""

    def __init__(self, http: RegistryHttp) -> None:
        self._http = http

    def request_dataset(self, benchmark_id: int, dataset_id: int) -> AssociationPublic:
        """Ask to evaluate a dataset in a benchmark (may be auto-approved by the benchmark's policy)."""
        body = AssociationCreate(benchmark_id=benchmark_id, dataset_id=dataset_id)
        return self._create("dataset", body)

    def request_model(self, benchmark_id: int, model_id: int) -> AssociationPublic:
        """Ask to evaluate a model in a benchmark (may be auto-approved by the benchmark's policy)."""
        body = AssociationCreate(benchmark_id=benchmark_id, model_id=model_id)
        return self._create("model", body)

    def _create(self, kind: AssociationKind, body: AssociationCreate) -> AssociationPublic:
        data = self._http.post(_path(kind), body.model_dump(mode="json", exclude_none=True))
        return AssociationPublic.model_validate(data)

    def list(
        self,
        kind: AssociationKind,
        *,
        limit: int = 100,
        offset: int = 0,
        benchmark_id: int | None = None,
        dataset_id: int | None = None,
        model_id: int | None = None,
        approval_status: ApprovalStatus | None = None,
        latest_only: bool | None = None,
    ) -> Page[AssociationPublic]:
        """Associations of one kind the caller is a party to (all for the admin)."""
        params = query(
            limit=limit,
            offset=offset,
            benchmark_id=benchmark_id,
            dataset_id=dataset_id if kind == "dataset" else None,
            model_id=model_id if kind == "model" else None,
            approval_status=approval_status,
            latest_only=latest_only,
        )
        return Page[AssociationPublic].model_validate(self._http.get(_path(kind), params))

    def approve(self, kind: AssociationKind, association_id: int) -> AssociationPublic:
        """Approve an association the other party requested."""
        data = self._http.post(f"{_path(kind)}/{association_id}/approve")
        return AssociationPublic.model_validate(data)

    def reject(self, kind: AssociationKind, association_id: int) -> AssociationPublic:
        """Reject an association (either party)."""
        data = self._http.post(f"{_path(kind)}/{association_id}/reject")
        return AssociationPublic.model_validate(data)
