"""An approval given while the registry is down (40 s) is kept in the site's outbox and sent once it is back."""

import os
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from flow_harness import answer, site_code, start_flow, wait_for_approval_form
from site_flows import SiteWorld
from switchable_proxy import SwitchableProxy

from flows.evaluate_model import evaluate_model
from medperf.cli.local_server import LocalRegistry
from medperf.client import RegistryClient
from medperf.profiles import Profile, ProfileStore
from medperf.site.outbox import Outbox
from medperf.site.outbox_delivery import INLINE
from medperf.site.outbox_sender import send_due
from medperf.site.run_store import RunStore

OUTAGE_S = INLINE.deadline_s + 10  # longer than the run tries to upload (30 s) and than the 15 s that lost uploads
pytestmark = pytest.mark.prefect


@pytest.fixture
def registry_link(registry: LocalRegistry, site_home: object, data_owner_token: str) -> Iterator[SwitchableProxy]:
    """The site reaches the registry through a proxy the test can switch off (its own profile, not activated)."""
    target = urlsplit(registry.url)
    proxy = SwitchableProxy(target.hostname or "127.0.0.1", target.port or 80)
    store = ProfileStore(site_home)  # type: ignore[arg-type]
    store.put("via-proxy", Profile(server_url=proxy.url, token=data_owner_token), activate=False)
    os.environ["MEDPERF_PROFILE"] = "via-proxy"
    try:
        yield proxy
    finally:
        os.environ.pop("MEDPERF_PROFILE", None)
        proxy.close()


def test_an_approval_during_an_outage_is_sent_once_when_the_registry_is_back_and_never_asked_again(
    site_world: Callable[..., SiteWorld], data_owner: RegistryClient, registry_link: SwitchableProxy
) -> None:
    site = site_world()
    dataset_id = site.prepared_dataset()
    params = {"benchmark_id": site.benchmark_id, "model_id": site.model_id, "dataset_id": dataset_id}
    store = RunStore(site.data_root)

    before = {item.flow_run_id for item in store.approvals()}
    run = start_flow(evaluate_model, **params)
    pending = wait_for_approval_form(site.data_root, before, run)
    registry_link.up = False  # the registry goes away while the data owner reads the payload
    down_at = time.monotonic()
    answer(pending.flow_run_id, approve=True, code=site_code(site.site_home, pending))
    queued = run.state()
    assert (queued.type.value, queued.name) == ("COMPLETED", "Queued"), queued.message
    (entry,) = [e for e in Outbox(site.data_root).entries() if e.flow_run_id == pending.flow_run_id]
    assert entry.status == "failed-will-retry" and entry.attempts == 1

    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))  # down across the approval and all the run's tries
    registry_link.up = True  # the registry is back
    # the campaign dispatches the pair again before the site's sender ran: same payload, nobody is asked again
    again = start_flow(evaluate_model, **params)
    second = again.state()
    assert second.is_completed() and second.name == "Completed", second.message
    assert {item.flow_run_id for item in store.approvals()} - before == {pending.flow_run_id}, "asked twice"
    assert [e.status for e in Outbox(site.data_root).entries() if e.flow_run_id == pending.flow_run_id] == ["sent"]
    assert send_due(site.data_root, everything=True) == [], "a sent upload is not sent again"
    results = data_owner.results.list(benchmark_id=site.benchmark_id, dataset_id=dataset_id).items
    assert [r.status.value for r in results] == ["FINALIZED"]


def test_the_sites_sender_delivers_an_approval_queued_during_an_outage(
    site_world: Callable[..., SiteWorld], data_owner: RegistryClient, registry_link: SwitchableProxy
) -> None:
    site = site_world()
    dataset_id = site.prepared_dataset()
    before = {item.flow_run_id for item in RunStore(site.data_root).approvals()}
    run = start_flow(evaluate_model, benchmark_id=site.benchmark_id, model_id=site.model_id, dataset_id=dataset_id)
    pending = wait_for_approval_form(site.data_root, before, run)
    registry_link.up = False
    answer(pending.flow_run_id, approve=True, code=site_code(site.site_home, pending))
    assert run.state().name == "Queued"
    assert [e.status for e in send_due(site.data_root, everything=True)] == ["failed-will-retry"], "still down"

    registry_link.up = True
    (sent,) = send_due(site.data_root, everything=True)
    assert sent.status == "sent" and sent.attempts == 2
    assert send_due(site.data_root, everything=True) == []
    (result,) = data_owner.results.list(benchmark_id=site.benchmark_id, dataset_id=dataset_id).items
    assert result.status.value == "FINALIZED" and result.id == sent.registry_id
