"""The registry stores a benchmark's declared task, lets the owner change it before OPERATION, then freezes it."""

from typing import Any

from server_world import Registry
from support.task_declarations import REGRESSION_TASK

TASK = REGRESSION_TASK  # mae (with its interval) and r2


def _register(registry: Registry, token: str, task: dict[str, Any] | None) -> dict[str, Any]:
    body = {
        "name": "regression-bench",
        "data_preparation_container_id": registry.container(token, operation=True),
        "reference_model_id": registry.model(token, registry.container(token, operation=True)),
        "evaluator_container_id": registry.container(token, operation=True),
    }
    if task is not None:
        body["task"] = task
    bench: dict[str, Any] = registry.ok("POST", "/benchmarks", token, body, 201)
    return bench


def test_a_declared_task_round_trips_and_freezes_in_operation(registry: Registry) -> None:
    _, token = registry.user("committee")
    bench = _register(registry, token, TASK)
    assert bench["task"]["kind"] == "regression"
    assert bench["task"]["metrics"][0]["direction"] == "lower"
    assert registry.ok("GET", f"/benchmarks/{bench['id']}", token)["task"]["primary_metric"] == "mae"

    changed = {**TASK, "primary_metric": "r2"}
    updated = registry.ok("PATCH", f"/benchmarks/{bench['id']}", token, {"task": changed})
    assert updated["task"]["primary_metric"] == "r2"

    registry.ok("POST", f"/benchmarks/{bench['id']}/approve", registry.admin)
    registry.ok("PATCH", f"/models/{bench['reference_model_id']}", token, {"state": "OPERATION"})
    registry.ok("PATCH", f"/benchmarks/{bench['id']}", token, {"state": "OPERATION"})
    refused = registry.call("PATCH", f"/benchmarks/{bench['id']}", token, {"task": TASK})
    assert refused.status_code == 409 and "task" in refused.text


def test_a_benchmark_without_a_declaration_keeps_working(registry: Registry) -> None:
    _, token = registry.user("old-committee")
    bench = _register(registry, token, None)
    assert bench["task"] is None
    assert registry.ok("GET", f"/benchmarks/{bench['id']}", token)["task"] is None


def test_an_inconsistent_declaration_is_refused_naming_the_field(registry: Registry) -> None:
    _, token = registry.user("careless")
    response = registry.call("POST", "/benchmarks", token, {
        "name": "bad", "data_preparation_container_id": 1, "reference_model_id": 1, "evaluator_container_id": 1,
        "task": {**TASK, "primary_metric": "auc"},
    })
    assert response.status_code == 422 and "primary_metric" in response.text
