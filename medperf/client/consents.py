"""Standing consents: a data owner's approval in advance of scheduled result uploads."""

from medperf.client.http import RegistryHttp, query
from medperf.schemas import ConsentCheck, Page, StandingConsentCreate, StandingConsentPublic


class ConsentsApi:
    """/consents."""

    def __init__(self, http: RegistryHttp) -> None:
        self._http = http

    def create(self, consent: StandingConsentCreate) -> StandingConsentPublic:
        """Grant a standing consent for one dataset in one benchmark until it expires."""
        data = self._http.post("/consents", consent.model_dump(mode="json"))
        return StandingConsentPublic.model_validate(data)

    def list(
        self,
        *,
        limit: int = 100,
        offset: int = 0,
        benchmark_id: int | None = None,
        dataset_id: int | None = None,
        active: bool | None = None,
    ) -> Page[StandingConsentPublic]:
        """Consents the caller may see, matching the filters."""
        params = query(limit=limit, offset=offset, benchmark_id=benchmark_id, dataset_id=dataset_id, active=active)
        return Page[StandingConsentPublic].model_validate(self._http.get("/consents", params))

    def check(
        self,
        benchmark_id: int,
        dataset_id: int,
        model_id: int,
        *,
        model_container_id: int | None = None,
        policy_version: int | None = None,
    ) -> ConsentCheck:
        """Whether a standing consent covers uploading this model's result now, for the container that ran
        and the release policy version the payload was checked against (`holds` and the reason)."""
        params = query(
            benchmark_id=benchmark_id,
            dataset_id=dataset_id,
            model_id=model_id,
            model_container_id=model_container_id,
            policy_version=policy_version,
        )
        return ConsentCheck.model_validate(self._http.get("/consents/check", params))

    def revoke(self, consent_id: int) -> StandingConsentPublic:
        """Revoke a standing consent (dataset owner)."""
        return StandingConsentPublic.model_validate(self._http.delete(f"/consents/{consent_id}"))
