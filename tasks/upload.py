"""Tasks: open a result before a run; send an approved payload from the site's outbox (idempotent)."""

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from medperf.schemas import ResultCreate, ResultPublic
from medperf.settings import SiteSettings, default_home
from medperf.site.connections import site_registry
from medperf.site.outbox import Outbox, SendOutcome
from medperf.site.outbox_delivery import INLINE, deliver

RETRY = {"retries": 3, "retry_delay_seconds": exponential_backoff(2), "cache_policy": NO_CACHE}


@task(name="open_result", **RETRY)  # type: ignore[call-overload]
def open_result(benchmark_id: int, model_id: int, dataset_id: int, client_key: str) -> ResultPublic:
    """Create (or find again, by client_key) the PENDING result before the run."""
    body = ResultCreate(benchmark_id=benchmark_id, model_id=model_id, dataset_id=dataset_id, client_key=client_key)
    with site_registry(default_home()) as registry:
        return registry.results.create(body)


@task(name="send_approved", cache_policy=NO_CACHE)
def send_approved(entry_id: str, settings: SiteSettings) -> SendOutcome:
    """Send an approved outbox entry now, retrying transient registry errors for half a minute.

    Whatever happens is recorded on the entry first: a registry still down leaves it "failed-will-retry" for
    the site's sender (`deliver_outbox`, `medperf approvals send`); only its status leaves this task.
    """
    outbox = Outbox(settings.data_root)
    entry = outbox.get(entry_id)
    if entry is None:
        raise ValueError(f"outbox entry {entry_id} is missing on this site")
    if entry.status == "sent" and entry.registry_id is not None:
        return SendOutcome(entry.status, entry.registry_id, "")
    with site_registry(default_home()) as registry:
        sent = outbox.send(entry, lambda item: INLINE.call(lambda: deliver(item, registry, settings.data_root)))
    return SendOutcome(sent.status, sent.registry_id, sent.last_error)
