"""Standing consents: a data owner pre-approves scheduled uploads for one benchmark until a date.

A consent is bound to what the data owner saw when granting it: the benchmark's release policy version
and, for each model then in the benchmark, the model's container. It no longer holds for a model whose
container changed, a model that joined later, or any model once the release policy changed.
"""

from datetime import datetime

from sqlalchemy import ColumnElement, and_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from medperf.schemas import ConsentCheck, ConsentModel, StandingConsentCreate
from medperf.server.services.associations import dataset_is_approved, model_is_approved
from medperf.server.services.audit import commit_change, commit_transition
from medperf.server.services.datasets import visible_dataset
from medperf.server.services.errors import Conflict, Forbidden, Invalid, NotFound
from medperf.server.services.lookup import get_or_404, id_of
from medperf.server.tables import (
    Benchmark,
    Container,
    Dataset,
    Model,
    ModelAssociation,
    StandingConsent,
    User,
    utcnow,
)


def grant_consent(session: Session, actor: User, payload: StandingConsentCreate) -> StandingConsent:
    """The dataset owner grants a consent for an APPROVED association, expiring in the future."""
    dataset = visible_dataset(session, actor, payload.dataset_id)
    if dataset.owner_id != actor.id:
        raise Forbidden(f"only the owner of dataset {dataset.id} may grant a standing consent")
    benchmark = get_or_404(session, Benchmark, payload.benchmark_id, "benchmark_id")
    if not _is_future(payload.expires_at):
        raise Invalid("expires_at: must be a time in the future")
    if not dataset_is_approved(session, benchmark, id_of(dataset)):
        raise Conflict(f"dataset_id: dataset {dataset.id} has no APPROVED association with benchmark {benchmark.id}")
    models = [binding.model_dump(mode="json") for binding in _models_in(session, benchmark)]
    consent = StandingConsent(
        **payload.model_dump(), granted_by=id_of(actor), policy_version=benchmark.policy_version, models=models
    )
    commit_change(session, actor, "grant", consent, "standing_consent", None)
    return consent


def _models_in(session: Session, benchmark: Benchmark) -> list[ConsentModel]:
    """The reference model and every model whose approval for its current container stands, with that container."""
    candidates = set(
        session.exec(select(ModelAssociation.model_id).where(ModelAssociation.benchmark_id == benchmark.id)).all()
    )
    candidates.add(benchmark.reference_model_id)
    bindings = []
    for model_id in sorted(candidates):
        model = session.get(Model, model_id)
        if model is None:
            continue
        if model_id != benchmark.reference_model_id and not model_is_approved(session, benchmark, model):
            continue
        container = session.get(Container, model.container_id)
        digest = container.image_digest if container is not None else None
        bindings.append(ConsentModel(model_id=model_id, container_id=model.container_id, image_digest=digest))
    return bindings


def _is_future(moment: datetime) -> bool:
    if moment.tzinfo is None:
        return moment > utcnow().replace(tzinfo=None)
    return moment > utcnow()


def in_force() -> ColumnElement[bool]:
    """Unrevoked, unexpired, and granted under the benchmark's current release policy version."""
    current_policy = (
        sa_select(col(Benchmark.policy_version))
        .where(col(Benchmark.id) == StandingConsent.benchmark_id)
        .scalar_subquery()
    )
    return and_(
        ~col(StandingConsent.revoked),
        col(StandingConsent.expires_at) > utcnow(),
        col(StandingConsent.policy_version) == current_policy,
    )


def not_in_force() -> ColumnElement[bool]:
    """The complement of `in_force`."""
    return ~in_force()


def check_consent(
    session: Session,
    actor: User,
    benchmark_id: int,
    dataset_id: int,
    model_id: int,
    model_container_id: int | None = None,
    policy_version: int | None = None,
) -> ConsentCheck:
    """Whether a consent in force covers this model's current container under the current release policy.

    A site passes the container it ran and the policy version it checked against; a mismatch with today's
    registry (the model or the policy changed meanwhile) means the consent does not hold for that run.
    """
    dataset = visible_dataset(session, actor, dataset_id)
    benchmark = get_or_404(session, Benchmark, benchmark_id, "benchmark_id")
    model = get_or_404(session, Model, model_id, "model_id")

    def answer(holds: bool, reason: str, consent: StandingConsent | None = None) -> ConsentCheck:
        return ConsentCheck(
            holds=holds,
            reason=reason,
            consent_id=consent.id if consent is not None else None,
            policy_version=benchmark.policy_version,
            model_container_id=model.container_id,
        )

    if policy_version is not None and policy_version != benchmark.policy_version:
        return answer(False, f"the run used release policy version {policy_version}, now {benchmark.policy_version}")
    if model_container_id is not None and model_container_id != model.container_id:
        return answer(False, f"the run used container {model_container_id}; model {model_id} now runs another")
    if not dataset_is_approved(session, benchmark, id_of(dataset)):
        return answer(False, f"dataset {dataset.id} has no current APPROVED association with the benchmark")
    if model_id != benchmark.reference_model_id and not model_is_approved(session, benchmark, model):
        return answer(False, f"model {model_id} has no current APPROVED association with the benchmark")
    consents = session.exec(
        select(StandingConsent)
        .where(
            StandingConsent.benchmark_id == benchmark_id,
            StandingConsent.dataset_id == dataset.id,
            ~col(StandingConsent.revoked),
            col(StandingConsent.expires_at) > utcnow(),
        )
        .order_by(col(StandingConsent.id).desc())
    ).all()
    if not consents:
        return answer(False, f"no standing consent in force for dataset {dataset.id} in benchmark {benchmark_id}")
    reasons = [(consent, _why_not(consent, benchmark, model)) for consent in consents]
    for consent, reason in reasons:
        if reason is None:
            return answer(True, f"consent {consent.id} holds", consent)
    newest, reason = reasons[0]
    return answer(False, str(reason), newest)


def _why_not(consent: StandingConsent, benchmark: Benchmark, model: Model) -> str | None:
    """Why the consent does not cover this model's current container under the current policy (None: it does)."""
    if consent.policy_version != benchmark.policy_version:
        return (
            f"the release policy changed (version {consent.policy_version} -> {benchmark.policy_version}) "
            f"since consent {consent.id} was granted"
        )
    bound = {binding["model_id"]: binding for binding in consent.models}
    if model.id not in bound:
        return f"model {model.id} was not in the benchmark when consent {consent.id} was granted"
    if bound[model.id]["container_id"] != model.container_id:
        return (
            f"model {model.id} now runs container {model.container_id}, not container "
            f"{bound[model.id]['container_id']} that consent {consent.id} was granted for"
        )
    return None


def revoke_consent(session: Session, actor: User, consent_id: int) -> StandingConsent:
    """The dataset owner revokes a consent; revoking twice is a conflict."""
    consent = get_or_404(session, StandingConsent, consent_id, "consent")
    dataset = session.get(Dataset, consent.dataset_id)
    owner = dataset.owner_id if dataset else None
    benchmark = session.get(Benchmark, consent.benchmark_id)
    if actor.id != owner:
        if actor.is_admin or (benchmark is not None and benchmark.owner_id == actor.id):
            raise Forbidden(f"only the dataset owner may revoke consent {consent_id}")
        raise NotFound(f"consent {consent_id} not found")
    if consent.revoked:
        raise Conflict(f"consent {consent_id} is already revoked")
    if not commit_transition(
        session, actor, "revoke", consent, "standing_consent", {"revoked": False}, {"revoked": True}
    ):
        raise Conflict(f"consent {consent_id} is already revoked")
    return consent
