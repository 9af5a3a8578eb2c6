"""A site uploads a finished result in ONE call (create-and-finalize), idempotent by its client_key."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from server_world import Registry, World, build_world
from sqlalchemy import event

from medperf.client import RegistryClient
from medperf.client.errors import Conflict
from medperf.schemas import ResultCreate, ResultFinalize, ResultStatus

FINISHED = "/results/finished"


def _body(world: World, key: str | None, metrics: dict[str, Any], **final: Any) -> dict[str, Any]:
    result = {
        "benchmark_id": world.ids["benchmark"],
        "model_id": world.ids["model"],
        "dataset_id": world.ids["dataset"],
    }
    return {"result": {**result, "client_key": key}, "final": {"metrics": metrics, **final}}


@contextmanager
def statements(registry: Registry) -> Iterator[list[str]]:
    """Every SQL statement the app sends to its database while the block runs."""
    seen: list[str] = []
    engine = registry.client.app.state.engine  # type: ignore[attr-defined]

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.split(None, 1)[0].upper() + " " + statement)

    def ping(_connection: Any) -> bool:
        seen.append("PING (pool pre-ping)")  # a raw DBAPI round trip: no cursor event sees it
        return True

    event.listen(engine, "before_cursor_execute", listen)
    engine.dialect.do_ping = ping
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)
        del engine.dialect.do_ping


def test_one_call_creates_a_finalized_result_and_a_retry_returns_it(registry: Registry) -> None:
    world = build_world(registry)
    owner = world.tokens["data_owner"]
    body = _body(world, "site-a-run-1", {"auc": 0.8}, partial=False)
    first = registry.ok("POST", FINISHED, owner, body, 201)
    assert first["status"] == "FINALIZED" and first["metrics"] == {"auc": 0.8} and first["finalized_at"]
    again = registry.ok("POST", FINISHED, owner, body, 200)
    assert again == first
    listed = registry.ok("GET", f"/results?dataset_id={world.ids['dataset']}&status=FINALIZED", owner)
    assert [item["id"] for item in listed["items"]] == [first["id"]]


def test_a_different_payload_under_the_same_key_is_refused(registry: Registry) -> None:
    world = build_world(registry)
    owner = world.tokens["data_owner"]
    first = registry.ok("POST", FINISHED, owner, _body(world, "k1", {"auc": 0.8}), 201)
    detail = registry.ok("POST", FINISHED, owner, _body(world, "k1", {"auc": 0.99}), 409)["detail"]
    assert detail == f"client_key: result {first['id']} was already finalized with a different payload"
    partial = registry.ok("POST", FINISHED, owner, _body(world, "k1", {"auc": 0.8}, partial=True), 409)
    assert "different payload" in partial["detail"]
    assert registry.ok("GET", f"/results/{first['id']}", owner)["metrics"] == {"auc": 0.8}


def test_a_pending_result_opened_under_the_key_is_finalized_not_duplicated(registry: Registry) -> None:
    world = build_world(registry)
    owner = world.tokens["data_owner"]
    body = _body(world, "two-step-then-one", {"auc": 0.7})
    pending = registry.ok("POST", "/results", owner, body["result"], 201)
    done = registry.ok("POST", FINISHED, owner, body, 200)
    assert done["id"] == pending["id"] and done["status"] == "FINALIZED"
    assert registry.ok("POST", FINISHED, owner, body, 200)["id"] == pending["id"]


def test_the_two_step_path_stays(registry: Registry) -> None:
    world = build_world(registry)
    owner = world.tokens["data_owner"]
    body = _body(world, "two-step", {"auc": 0.6})
    pending = registry.ok("POST", "/results", owner, body["result"], 201)
    assert pending["status"] == "PENDING"
    final = registry.ok("POST", f"/results/{pending['id']}/finalize", owner, body["final"])
    assert final["status"] == "FINALIZED" and final["metrics"] == {"auc": 0.6}


def test_the_rules_of_both_steps_apply(registry: Registry) -> None:
    world = build_world(registry)
    owner = world.tokens["data_owner"]
    missing_key = registry.ok("POST", FINISHED, owner, _body(world, None, {"auc": 0.5}), 422)["detail"]
    assert missing_key == "result.client_key: required for a one-call upload; send an idempotency key"
    registry.ok("POST", FINISHED, world.tokens["stranger"], _body(world, "s", {"auc": 0.5}), 404)
    unknown = registry.ok("POST", FINISHED, owner, _body(world, "c", {"auc": 0.5}, model_container_id=999999), 404)
    assert unknown["detail"] == "model_container_id 999999 not found"
    other_model = _body(world, "m", {"auc": 0.5})
    other_model["result"]["model_id"] = registry.model(str(world.tokens["model_owner"]))  # not associated
    assert "model_id" in registry.ok("POST", FINISHED, owner, other_model, 409)["detail"]
    reused = _body(world, "k", {"auc": 0.5})
    registry.ok("POST", FINISHED, owner, reused, 201)
    reused["result"]["model_id"] = other_model["result"]["model_id"]
    assert "different model_id" in registry.ok("POST", FINISHED, owner, reused, 409)["detail"]


def test_one_call_is_one_commit_one_audit_write_and_fewer_statements_than_two(registry: Registry) -> None:
    world = build_world(registry)
    owner = world.tokens["data_owner"]
    with statements(registry) as one_call:
        registry.ok("POST", FINISHED, owner, _body(world, "counted-1", {"auc": 0.8}), 201)
    body = _body(world, "counted-2", {"auc": 0.8})
    with statements(registry) as two_calls:
        pending = registry.ok("POST", "/results", owner, body["result"], 201)
        registry.ok("POST", f"/results/{pending['id']}/finalize", owner, body["final"])
    audit_writes = [s for s in one_call if s.startswith("INSERT") and "audit_log" in s]
    assert len(audit_writes) == 1
    assert not [s for s in one_call if s.startswith("PING")]  # no connection ping per checkout
    assert len(one_call) < len(two_calls) - 3, (one_call, two_calls)


def test_the_client_uploads_in_one_call(registry: Registry, live_registry: tuple[str, str]) -> None:
    world = build_world(registry)
    url, _admin = live_registry
    token = world.tokens["data_owner"]
    assert token is not None
    opened = ResultCreate(
        benchmark_id=world.ids["benchmark"],
        model_id=world.ids["model"],
        dataset_id=world.ids["dataset"],
        client_key="c1",
    )
    with RegistryClient(url, token) as client:
        first = client.results.submit_finished(opened, ResultFinalize(metrics={"auc": 0.9}))
        assert first.status == ResultStatus.FINALIZED
        assert client.results.submit_finished(opened, ResultFinalize(metrics={"auc": 0.9})).id == first.id
        with pytest.raises(Conflict, match="different payload"):
            client.results.submit_finished(opened, ResultFinalize(metrics={"auc": 0.1}))
