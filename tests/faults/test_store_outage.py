"""The object store is down while a site fetches a model's container, on the real stack.

The run fails within a minute with one line naming the object store and what to do (no traceback, no hang),
the site keeps that failure record, the owner is never asked and nothing reaches the registry; once the
store is back, the campaign's re-dispatch finalizes exactly one result.
"""

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from campaign_world import poll
from one_site_world import SUFFIX, SwitchableStore, World, final_state, one_site_world

from medperf.errors import StoreUnavailable
from medperf.site.run_store import FAILURE, RunStore
from medperf.storage import s3

pytestmark = [pytest.mark.prefect, pytest.mark.postgres, pytest.mark.s3]


@pytest.fixture(scope="module")
def outage(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, SwitchableStore]]:
    """A site that reaches the object store only through a proxy the test switches off."""
    switch = SwitchableStore(stack.s3_endpoint)
    root = tmp_path_factory.mktemp("store-outage")
    with one_site_world(stack, root, f"store-site-{SUFFIX}", site_env={"MEDPERF_STORE_ENDPOINT": switch.endpoint}) as w:
        try:
            yield w, switch
        finally:
            switch.switch_off()


def test_a_store_outage_during_container_fetch_fails_clearly_and_a_rerun_finalizes_one_result(
    outage: tuple[World, SwitchableStore],
) -> None:
    world, switch = outage
    model = world.model()  # a container the site has never fetched: the run must go to the store

    switch.switch_off()
    started = time.monotonic()
    run_id = world.dispatch_one(model.id)
    state = poll(lambda: final_state(run_id), "the run to end while the store is down", deadline_s=180)
    waited = time.monotonic() - started

    message = state.message or ""
    assert state.type.value == "FAILED", (state.name, message)
    assert waited < 120  # the fetch's retries give up in about a minute: no hang
    # What the user sees (Prefect UI, `medperf benchmark status`): one line naming the store and what to do.
    assert f"object store S3 at {switch.endpoint} is unreachable (the connection was refused)" in message
    assert "start the store (or fix MEDPERF_STORE_ENDPOINT) and run again" in message
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    failure = RunStore(world.site.data_root).read(run_id, FAILURE)
    assert failure is not None and failure["step"] == "StoreUnavailable"
    assert switch.endpoint in failure["message"]
    assert world.approvals_asked(run_id) == 0  # the owner was never asked
    assert world.finalized(model.id) == []  # nothing reached the registry

    switch.switch_on()
    again = world.dispatch_one(model.id)  # the failed pair is dispatched again
    assert again != run_id
    world.complete(again, "the re-run once the store is back")

    assert len(world.finalized(model.id)) == 1
    assert world.approvals_asked(again) == 1 and world.approvals_asked(run_id) == 0


def test_a_store_that_takes_the_connection_but_never_answers_fails_in_seconds_not_minutes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(s3, "READ_TIMEOUT_S", 0.5)  # the site's is a minute; the behaviour is the same
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.extend(iter(lambda: listener.accept()[0], None)), daemon=True).start()
    store = s3.S3Store(f"127.0.0.1:{listener.getsockname()[1]}", "key", "secret", "bucket", tmp_path)

    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as raised:
        store.fetch("s3://bucket/sha256/" + "0" * 64, "0" * 64)

    assert time.monotonic() - started < 15
    assert str(raised.value) == (
        f"object store S3 at 127.0.0.1:{listener.getsockname()[1]} is unreachable (it did not answer in time); "
        "nothing was fetched or sent — start the store (or fix MEDPERF_STORE_ENDPOINT) and run again"
    )
    assert not any((tmp_path / "sha256").glob("*"))  # nothing half-fetched stays in the cache
    listener.close()
