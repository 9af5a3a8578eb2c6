"""Standing consents: a data owner pre-approves scheduled uploads for one benchmark until a date."""

from datetime import datetime

from sqlmodel import Session

from medperf.schemas import StandingConsentCreate
from medperf.server.services.associations import is_approved
from medperf.server.services.audit import commit_change, snapshot
from medperf.server.services.datasets import visible_dataset
from medperf.server.services.errors import Conflict, Forbidden, Invalid, NotFound
from medperf.server.services.lookup import get_or_404
from medperf.server.tables import Benchmark, Dataset, StandingConsent, User, utcnow


def grant_consent(session: Session, actor: User, payload: StandingConsentCreate) -> StandingConsent:
    """The dataset owner grants a consent for an APPROVED association, expiring in the future."""
    dataset = visible_dataset(session, actor, payload.dataset_id)
    if dataset.owner_id != actor.id:
        raise Forbidden(f"only the owner of dataset {dataset.id} may grant a standing consent")
    benchmark = get_or_404(session, Benchmark, payload.benchmark_id, "benchmark_id")
    if not _is_future(payload.expires_at):
        raise Invalid("expires_at: must be a time in the future")
    if not is_approved(session, "datasets", benchmark.id or 0, dataset.id or 0):
        raise Conflict(f"dataset_id: dataset {dataset.id} has no APPROVED association with benchmark {benchmark.id}")
    consent = StandingConsent(**payload.model_dump(), granted_by=actor.id)
    commit_change(session, actor, "grant", consent, "standing_consent", None)
    return consent


def _is_future(moment: datetime) -> bool:
    if moment.tzinfo is None:
        return moment > utcnow().replace(tzinfo=None)
    return moment > utcnow()


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
    before = snapshot(consent)
    consent.revoked = True
    commit_change(session, actor, "revoke", consent, "standing_consent", before)
    return consent
