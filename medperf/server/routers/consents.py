"""Standing consents for scheduled uploads: granted and revoked by the dataset owner."""

from fastapi import APIRouter, status
from sqlmodel import col, select

from medperf.schemas import Page, StandingConsentCreate, StandingConsentPublic
from medperf.server.deps import CurrentUser, IdFilter, Limit, Offset, SessionDep
from medperf.server.services import consents
from medperf.server.services.paging import paginate
from medperf.server.services.visibility import consents_visible_to
from medperf.server.tables import StandingConsent, utcnow

router = APIRouter(prefix="/consents", tags=["consents"])


def _public(row: StandingConsent) -> StandingConsentPublic:
    return StandingConsentPublic.model_validate(row, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED)
def grant_consent(payload: StandingConsentCreate, session: SessionDep, actor: CurrentUser) -> StandingConsentPublic:
    """Grant a standing consent for a benchmark on one of the caller's datasets."""
    return _public(consents.grant_consent(session, actor, payload))


@router.get("")
def list_consents(
    session: SessionDep,
    actor: CurrentUser,
    benchmark_id: IdFilter = None,
    dataset_id: IdFilter = None,
    active: bool | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[StandingConsentPublic]:
    """Consents on the caller's datasets or for its benchmarks (admin: all), optionally only active ones."""
    stmt = select(StandingConsent).where(consents_visible_to(actor))
    if benchmark_id is not None:
        stmt = stmt.where(StandingConsent.benchmark_id == benchmark_id)
    if dataset_id is not None:
        stmt = stmt.where(StandingConsent.dataset_id == dataset_id)
    if active is True:
        stmt = stmt.where(~col(StandingConsent.revoked), col(StandingConsent.expires_at) > utcnow())
    elif active is False:
        stmt = stmt.where(col(StandingConsent.revoked) | (col(StandingConsent.expires_at) <= utcnow()))
    return paginate(session, stmt, StandingConsentPublic, limit, offset)


@router.delete("/{consent_id}")
def revoke_consent(consent_id: int, session: SessionDep, actor: CurrentUser) -> StandingConsentPublic:
    """Revoke a standing consent (dataset owner)."""
    return _public(consents.revoke_consent(session, actor, consent_id))
