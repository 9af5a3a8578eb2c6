"""Benchmarks: created by a committee, approved by the admin, with an auto-approval policy."""

from medperf.client.http import RegistryHttp, query
from medperf.schemas import (
    ApprovalStatus,
    BenchmarkCreate,
    BenchmarkPolicyUpdate,
    BenchmarkPublic,
    BenchmarkUpdate,
    EntityState,
    Page,
)


class BenchmarksApi:
    """/benchmarks."""

    def __init__(self, http: RegistryHttp) -> None:
        self._http = http

    def create(self, benchmark: BenchmarkCreate) -> BenchmarkPublic:
        """Submit a benchmark; it waits for the admin's approval."""
        data = self._http.post("/benchmarks", benchmark.model_dump(mode="json"))
        return BenchmarkPublic.model_validate(data)

    def get(self, benchmark_id: int) -> BenchmarkPublic:
        """One benchmark."""
        return BenchmarkPublic.model_validate(self._http.get(f"/benchmarks/{benchmark_id}"))

    def list(
        self,
        *,
        limit: int = 100,
        offset: int = 0,
        owner_id: int | None = None,
        state: EntityState | None = None,
        approval_status: ApprovalStatus | None = None,
    ) -> Page[BenchmarkPublic]:
        """Benchmarks matching the filters."""
        params = query(limit=limit, offset=offset, owner_id=owner_id, state=state, approval_status=approval_status)
        return Page[BenchmarkPublic].model_validate(self._http.get("/benchmarks", params))

    def update(self, benchmark_id: int, update: BenchmarkUpdate) -> BenchmarkPublic:
        """Change a benchmark (owner only)."""
        body = update.model_dump(mode="json", exclude_unset=True)
        return BenchmarkPublic.model_validate(self._http.patch(f"/benchmarks/{benchmark_id}", body))

    def withdraw(self, benchmark_id: int) -> BenchmarkPublic:
        """Withdraw a benchmark (owner only): it leaves the lists and frees its owner's pending slot."""
        return BenchmarkPublic.model_validate(self._http.post(f"/benchmarks/{benchmark_id}/withdraw"))

    def approve(self, benchmark_id: int) -> BenchmarkPublic:
        """Approve a pending benchmark (admin only)."""
        return BenchmarkPublic.model_validate(self._http.post(f"/benchmarks/{benchmark_id}/approve"))

    def reject(self, benchmark_id: int) -> BenchmarkPublic:
        """Reject a pending benchmark (admin only)."""
        return BenchmarkPublic.model_validate(self._http.post(f"/benchmarks/{benchmark_id}/reject"))

    def set_policy(self, benchmark_id: int, policy: BenchmarkPolicyUpdate) -> BenchmarkPublic:
        """Set how association requests from others are answered (owner only)."""
        data = self._http.put(f"/benchmarks/{benchmark_id}/policy", policy.model_dump(mode="json"))
        return BenchmarkPublic.model_validate(data)
