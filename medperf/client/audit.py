"""The append-only audit log of state changes."""

from medperf.client.http import RegistryHttp, query
from medperf.schemas import AuditEntryPublic, Page


class AuditApi:
    """/audit: the admin sees all entries, a user those where it is the actor."""

    def __init__(self, http: RegistryHttp) -> None:
        self._http = http

    def list(
        self,
        *,
        limit: int = 100,
        offset: int = 0,
        entity: str | None = None,
        entity_id: int | None = None,
        actor_id: int | None = None,
    ) -> Page[AuditEntryPublic]:
        """Audit entries matching the filters."""
        params = query(limit=limit, offset=offset, entity=entity, entity_id=entity_id, actor_id=actor_id)
        return Page[AuditEntryPublic].model_validate(self._http.get("/audit", params))
