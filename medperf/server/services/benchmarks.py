"""Benchmarks: creation (one pending per user), admin decision, owner updates and auto-approval policy."""

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from medperf.schemas import (
    ApprovalStatus,
    BenchmarkCreate,
    BenchmarkPolicyUpdate,
    BenchmarkUpdate,
    EntityState,
    ReleasePolicy,
)
from medperf.server.services.audit import commit_change, commit_transition, snapshot
from medperf.server.services.errors import Conflict, Forbidden
from medperf.server.services.lookup import get_live_or_404, get_or_404, id_of, require_live
from medperf.server.services.reapproval import renew_dataset_associations
from medperf.server.services.users import require_admin
from medperf.server.tables import Benchmark, Container, Model, User, utcnow


def create_benchmark(session: Session, actor: User, payload: BenchmarkCreate) -> Benchmark:
    """Register a PENDING benchmark; its parts must exist and the caller may have no other pending one."""
    get_live_or_404(session, Container, payload.data_preparation_container_id, "data_preparation_container_id")
    get_live_or_404(session, Model, payload.reference_model_id, "reference_model_id")
    get_live_or_404(session, Container, payload.evaluator_container_id, "evaluator_container_id")
    pending = session.exec(
        select(Benchmark.id).where(
            Benchmark.owner_id == actor.id,
            Benchmark.approval_status == ApprovalStatus.PENDING,
            col(Benchmark.withdrawn_at).is_(None),
        )
    ).first()
    if pending is not None:
        raise Conflict(
            f"a user may have one PENDING benchmark at a time; benchmark {pending} is pending: wait for the "
            f"admin's decision, or withdraw it with `medperf benchmark withdraw {pending}`"
        )
    data = payload.model_dump(mode="json")
    benchmark = Benchmark(**data, owner_id=id_of(actor))
    try:
        commit_change(session, actor, "create", benchmark, "benchmark", None)
    except IntegrityError:  # the partial unique index: a concurrent request registered the pending one
        session.rollback()
        raise Conflict("a user may have one PENDING benchmark at a time; another one was just registered") from None
    return benchmark


def decide_benchmark(session: Session, actor: User, benchmark_id: int, approve: bool) -> Benchmark:
    """The admin approves or rejects a PENDING benchmark (a second decision is a conflict)."""
    require_admin(actor, "approve or reject a benchmark")
    benchmark = get_live_or_404(session, Benchmark, benchmark_id, "benchmark")
    if benchmark.approval_status != ApprovalStatus.PENDING:
        raise Conflict(f"benchmark {benchmark_id} is already {benchmark.approval_status}")
    changes: dict[str, Any] = {"approval_status": ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED}
    if approve:
        changes["approved_at"] = utcnow()
    expected = {"approval_status": ApprovalStatus.PENDING}
    if not commit_transition(
        session, actor, "approve" if approve else "reject", benchmark, "benchmark", expected, changes
    ):
        raise Conflict(f"benchmark {benchmark_id} was decided by another request at the same time")
    return benchmark


def _owned(session: Session, actor: User, benchmark_id: int) -> Benchmark:
    benchmark = get_or_404(session, Benchmark, benchmark_id, "benchmark")
    if benchmark.owner_id != actor.id:
        raise Forbidden(f"only the owner of benchmark {benchmark_id} may change it")
    require_live(benchmark, "benchmark")
    return benchmark


def _check_operation_ready(session: Session, benchmark: Benchmark) -> None:
    if benchmark.approval_status != ApprovalStatus.APPROVED:
        raise Conflict(f"state: benchmark {benchmark.id} must be APPROVED before OPERATION")
    reference = session.get(Model, benchmark.reference_model_id)
    parts: list[tuple[str, Container | Model | None]] = [
        ("data_preparation_container_id", session.get(Container, benchmark.data_preparation_container_id)),
        ("evaluator_container_id", session.get(Container, benchmark.evaluator_container_id)),
        ("reference_model_id", reference),
    ]
    if reference is not None:
        parts.append(("reference model's container", session.get(Container, reference.container_id)))
    for label, part in parts:
        if part is None or part.state != EntityState.OPERATION or part.withdrawn_at is not None:
            raise Conflict(f"state: benchmark {benchmark.id} needs its {label} in OPERATION first")


def update_benchmark(session: Session, actor: User, benchmark_id: int, payload: BenchmarkUpdate) -> Benchmark:
    """Apply the owner's changes; OPERATION is reached only when approved and all parts are OPERATION."""
    benchmark = _owned(session, actor, benchmark_id)
    changes: dict[str, Any] = payload.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    if benchmark.state == EntityState.OPERATION:
        frozen = sorted(set(changes) - {"description"} - ({"state"} if changes.get("state") == "OPERATION" else set()))
        if frozen:
            raise Conflict(f"{frozen[0]}: benchmark {benchmark_id} is in OPERATION and frozen")
    elif changes.get("state") == EntityState.OPERATION:
        _check_operation_ready(session, benchmark)
    before = snapshot(benchmark)
    new_policy = changes.pop("release_policy", None)
    for field, value in changes.items():
        setattr(benchmark, field, value)
    if new_policy is not None and _normalized(new_policy) != _normalized(benchmark.release_policy):
        benchmark.release_policy = new_policy
        benchmark.policy_version += 1
        session.add(benchmark)
        renew_dataset_associations(session, actor, benchmark)
    commit_change(session, actor, "update", benchmark, "benchmark", before)
    return benchmark


def _normalized(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy with every default filled in, so that only a real change counts as one."""
    try:
        return ReleasePolicy.model_validate(policy).model_dump(mode="json")
    except ValueError:
        return policy


def set_policy(session: Session, actor: User, benchmark_id: int, payload: BenchmarkPolicyUpdate) -> Benchmark:
    """The owner sets how association requests from others are answered."""
    benchmark = _owned(session, actor, benchmark_id)
    before = snapshot(benchmark)
    benchmark.auto_approval_mode = payload.auto_approval_mode
    benchmark.auto_approval_allowlist = sorted({email.lower() for email in payload.auto_approval_allowlist})
    commit_change(session, actor, "set_policy", benchmark, "benchmark", before)
    return benchmark
