"""Task: record a payload for approval on the site and show it as a Prefect table artifact."""

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from medperf.settings import SiteSettings
from medperf.site.approval_form import payload_rows
from medperf.site.payloads import Payload, payload_dict, payload_digest
from medperf.site.run_store import RunStore


@task(name="request_approval", cache_policy=NO_CACHE)
def request_approval(flow_run_id: str, title: str, payload: Payload, settings: SiteSettings) -> str:
    """Record the exact payload locally (for `medperf approvals ls`) and publish it; returns its sha256."""
    digest = payload_digest(payload)
    RunStore(settings.data_root).record_pending(flow_run_id, payload.kind, title, payload_dict(payload), digest)
    create_table_artifact(
        key=f"medperf-{payload.kind}-payload",
        table=payload_rows(payload),
        description=f"{title}: exactly what will be uploaded if approved (sha256 {digest[:16]}...)",
    )
    return digest
