"""Standing consents for scheduled uploads: granted and revoked by the dataset owner."""

from typing import Annotated

from fastapi import Query, status
from sqlmodel import select

from medperf.schemas import ConsentCheck, Page, StandingConsentCreate, StandingConsentPublic
from medperf.schemas.common import MAX_ID
from medperf.server.deps import CurrentUser, IdFilter, Limit, Offset, SessionDep
from medperf.server.routing import GuardedRouter
from medperf.server.services import consents
from medperf.server.services.paging import paginate
from medperf.server.services.visibility import consents_visible_to
from medperf.server.tables import StandingConsent

RequiredId = Annotated[int, Query(ge=1, le=MAX_ID)]

router = GuardedRouter(prefix="/consents", tags=["consents"])


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
    """Consents on the caller's datasets or for its benchmarks (admin: all), optionally only those in force.

    In force: unrevoked, unexpired and granted under the benchmark's current release policy version.
    Whether one covers a given model's current container is what `GET /consents/check` answers.
    """
    stmt = select(StandingConsent).where(consents_visible_to(actor))
    if benchmark_id is not None:
        stmt = stmt.where(StandingConsent.benchmark_id == benchmark_id)
    if dataset_id is not None:
        stmt = stmt.where(StandingConsent.dataset_id == dataset_id)
    if active is True:
        stmt = stmt.where(consents.in_force())
    elif active is False:
        stmt = stmt.where(consents.not_in_force())
    return paginate(session, stmt, StandingConsentPublic, limit, offset)


@router.get("/check")
def check_consent(
    session: SessionDep,
    actor: CurrentUser,
    benchmark_id: RequiredId,
    dataset_id: RequiredId,
    model_id: RequiredId,
    model_container_id: IdFilter = None,
    policy_version: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> ConsentCheck:
    """Whether a standing consent covers uploading this model's result on this dataset now.

    It holds only for the model's container and the release policy version it was granted under; a site
    passes the container it ran and the policy version it checked, and uploads without a pause only if
    `holds` is true.
    """
    return consents.check_consent(
        session, actor, benchmark_id, dataset_id, model_id, model_container_id, policy_version
    )


@router.delete("/{consent_id}")
def revoke_consent(consent_id: int, session: SessionDep, actor: CurrentUser) -> StandingConsentPublic:
    """Revoke a standing consent (dataset owner)."""
    return _public(consents.revoke_consent(session, actor, consent_id))
