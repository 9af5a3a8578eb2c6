"""Benchmarks: registration, the admin's decision, owner updates and the auto-approval policy."""

from fastapi import status
from sqlmodel import col, select

from medperf.schemas import (
    ApprovalStatus,
    BenchmarkCreate,
    BenchmarkPolicyUpdate,
    BenchmarkPublic,
    BenchmarkUpdate,
    EntityState,
    Page,
)
from medperf.server.deps import CurrentUser, IdFilter, Limit, Offset, SessionDep
from medperf.server.routing import GuardedRouter
from medperf.server.services import benchmarks, withdrawal
from medperf.server.services.lookup import get_or_404
from medperf.server.services.paging import paginate
from medperf.server.tables import Benchmark

router = GuardedRouter(prefix="/benchmarks", tags=["benchmarks"])


def _public(row: Benchmark) -> BenchmarkPublic:
    return BenchmarkPublic.model_validate(row, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_benchmark(payload: BenchmarkCreate, session: SessionDep, actor: CurrentUser) -> BenchmarkPublic:
    """Register a benchmark (PENDING until the admin decides; one pending per user)."""
    return _public(benchmarks.create_benchmark(session, actor, payload))


@router.get("")
def list_benchmarks(
    session: SessionDep,
    _actor: CurrentUser,
    owner_id: IdFilter = None,
    state: EntityState | None = None,
    approval_status: ApprovalStatus | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[BenchmarkPublic]:
    """All live (not withdrawn) benchmarks, optionally filtered."""
    stmt = select(Benchmark).where(col(Benchmark.withdrawn_at).is_(None))
    if owner_id is not None:
        stmt = stmt.where(Benchmark.owner_id == owner_id)
    if state is not None:
        stmt = stmt.where(Benchmark.state == state)
    if approval_status is not None:
        stmt = stmt.where(Benchmark.approval_status == approval_status)
    return paginate(session, stmt, BenchmarkPublic, limit, offset)


@router.get("/{benchmark_id}")
def read_benchmark(benchmark_id: int, session: SessionDep, _actor: CurrentUser) -> BenchmarkPublic:
    """One benchmark."""
    return _public(get_or_404(session, Benchmark, benchmark_id, "benchmark"))


@router.patch("/{benchmark_id}")
def update_benchmark(
    benchmark_id: int, payload: BenchmarkUpdate, session: SessionDep, actor: CurrentUser
) -> BenchmarkPublic:
    """Change a benchmark (owner only); OPERATION needs approval and all parts in OPERATION."""
    return _public(benchmarks.update_benchmark(session, actor, benchmark_id, payload))


@router.post("/{benchmark_id}/approve")
def approve_benchmark(benchmark_id: int, session: SessionDep, actor: CurrentUser) -> BenchmarkPublic:
    """Approve a pending benchmark (admin only)."""
    return _public(benchmarks.decide_benchmark(session, actor, benchmark_id, approve=True))


@router.post("/{benchmark_id}/reject")
def reject_benchmark(benchmark_id: int, session: SessionDep, actor: CurrentUser) -> BenchmarkPublic:
    """Reject a pending benchmark (admin only)."""
    return _public(benchmarks.decide_benchmark(session, actor, benchmark_id, approve=False))


@router.put("/{benchmark_id}/policy")
def set_policy(
    benchmark_id: int, payload: BenchmarkPolicyUpdate, session: SessionDep, actor: CurrentUser
) -> BenchmarkPublic:
    """Set how association requests from others are auto-approved (owner only)."""
    return _public(benchmarks.set_policy(session, actor, benchmark_id, payload))


@router.post("/{benchmark_id}/withdraw")
def withdraw_benchmark(benchmark_id: int, session: SessionDep, actor: CurrentUser) -> BenchmarkPublic:
    """Withdraw a benchmark (owner only; refused in OPERATION while a live dataset is approved in it)."""
    row = withdrawal.withdraw(session, actor, get_or_404(session, Benchmark, benchmark_id, "benchmark"))
    return BenchmarkPublic.model_validate(row, from_attributes=True)
