"""Withdrawing entities: what a withdrawal does, and each rule that refuses one."""

from typing import Any

from server_world import Registry, build_world, sha


def _withdraw(reg: Registry, token: str, kind: str, entity_id: int, status: int = 200) -> dict[str, Any]:
    answer: dict[str, Any] = reg.ok("POST", f"/{kind}/{entity_id}/withdraw", token, None, status)
    return answer


def _listed(reg: Registry, token: str, kind: str) -> set[int]:
    return {item["id"] for item in reg.ok("GET", f"/{kind}?limit=500", token)["items"]}


def _operational_benchmark(reg: Registry, owner: str) -> dict[str, Any]:
    bench = reg.benchmark(owner)
    model = reg.ok("GET", f"/models/{bench['reference_model_id']}", owner)
    to_op = {"state": "OPERATION"}
    for cid in (bench["data_preparation_container_id"], bench["evaluator_container_id"], model["container_id"]):
        reg.ok("PATCH", f"/containers/{cid}", owner, to_op)
    reg.ok("PATCH", f"/models/{model['id']}", owner, to_op)
    answer: dict[str, Any] = reg.ok("PATCH", f"/benchmarks/{bench['id']}", owner, to_op)
    return answer


def test_a_withdrawn_entity_leaves_lists_reads_as_withdrawn_and_stays_in_the_audit_log(registry: Registry) -> None:
    _, owner = registry.user("owner")
    container = registry.container(owner)
    assert container in _listed(registry, owner, "containers")
    withdrawn = _withdraw(registry, owner, "containers", container)
    assert withdrawn["withdrawn_at"] is not None
    assert container not in _listed(registry, owner, "containers")
    assert registry.ok("GET", f"/containers/{container}", owner)["withdrawn_at"] == withdrawn["withdrawn_at"]
    audit = registry.ok("GET", "/audit", registry.admin, None)["items"]
    actions = [e["action"] for e in audit if e["entity"] == "container" and e["entity_id"] == container]
    assert actions == ["create", "withdraw"]


def test_only_the_owner_withdraws_and_only_once(registry: Registry) -> None:
    _, owner = registry.user("owner")
    _, other = registry.user("other")
    container = registry.container(owner)
    assert "only the owner" in _withdraw(registry, other, "containers", container, 403)["detail"]
    _withdraw(registry, owner, "containers", container)
    assert "already withdrawn" in _withdraw(registry, owner, "containers", container, 409)["detail"]


def test_a_withdrawn_entity_changes_no_more_and_takes_part_in_nothing_new(registry: Registry) -> None:
    _, owner = registry.user("owner")
    container = registry.container(owner)
    _withdraw(registry, owner, "containers", container)
    detail = registry.ok("PATCH", f"/containers/{container}", owner, {"state": "OPERATION"}, 409)["detail"]
    assert detail == f"container {container} is withdrawn; register a new one"
    refused = registry.ok("POST", "/models", owner, {"name": "m", "container_id": container}, 409)["detail"]
    assert refused.startswith(f"container_id {container} is withdrawn")


def test_a_committee_removes_a_pending_benchmark_and_its_parts_in_dependency_order(registry: Registry) -> None:
    _, owner = registry.user("owner")
    bench = registry.benchmark(owner, approve=False)
    reference = bench["reference_model_id"]
    prep = bench["data_preparation_container_id"]
    model_container = registry.ok("GET", f"/models/{reference}", owner)["container_id"]
    used_by_model = _withdraw(registry, owner, "containers", model_container, 409)["detail"]
    assert used_by_model == (
        f"container {model_container} is used by model {reference}: withdraw that first "
        f"(`medperf model withdraw {reference}`, by its owner)"
    )
    assert f"used by benchmark {bench['id']}" in _withdraw(registry, owner, "containers", prep, 409)["detail"]
    assert f"used by benchmark {bench['id']}" in _withdraw(registry, owner, "models", reference, 409)["detail"]
    # the one pending slot is taken until the pending benchmark is withdrawn
    second = {
        "name": "retry",
        "data_preparation_container_id": registry.container(owner),
        "reference_model_id": registry.model(owner),
        "evaluator_container_id": registry.container(owner),
    }
    assert "medperf benchmark withdraw" in registry.ok("POST", "/benchmarks", owner, second, 409)["detail"]
    _withdraw(registry, owner, "benchmarks", bench["id"])
    assert registry.ok("POST", "/benchmarks", owner, second, 201)["approval_status"] == "PENDING"
    assert "withdrawn" in registry.ok("POST", f"/benchmarks/{bench['id']}/approve", registry.admin, None, 409)["detail"]
    for kind, entity_id in (("models", reference), ("containers", model_container), ("containers", prep)):
        _withdraw(registry, owner, kind, entity_id)
    assert bench["id"] not in _listed(registry, owner, "benchmarks")


def test_an_operational_benchmark_with_an_approved_dataset_is_not_withdrawn(registry: Registry) -> None:
    _, bench_owner = registry.user("bench")
    _, data_owner = registry.user("data")
    bench = _operational_benchmark(registry, bench_owner)
    dataset = registry.dataset(data_owner, bench)
    assoc = registry.ok(
        "POST", "/associations/datasets", data_owner, {"benchmark_id": bench["id"], "dataset_id": dataset["id"]}, 201
    )
    registry.ok("POST", f"/associations/datasets/{assoc['id']}/approve", bench_owner)
    detail = _withdraw(registry, bench_owner, "benchmarks", bench["id"], 409)["detail"]
    assert f"dataset {dataset['id']} takes part in it" in detail
    _withdraw(registry, data_owner, "datasets", dataset["id"])
    _withdraw(registry, bench_owner, "benchmarks", bench["id"])


def test_a_model_approved_in_an_operational_benchmark_is_not_withdrawn(registry: Registry) -> None:
    _, bench_owner = registry.user("bench")
    _, model_owner = registry.user("modeler")
    bench = _operational_benchmark(registry, bench_owner)
    model = registry.model(model_owner)
    assoc = registry.ok(
        "POST", "/associations/models", model_owner, {"benchmark_id": bench["id"], "model_id": model}, 201
    )
    registry.ok("POST", f"/associations/models/{assoc['id']}/approve", bench_owner)
    detail = _withdraw(registry, model_owner, "models", model, 409)["detail"]
    assert f"approved in benchmark {bench['id']}, which is in OPERATION" in detail
    _withdraw(registry, bench_owner, "benchmarks", bench["id"])
    _withdraw(registry, model_owner, "models", model)


def test_a_withdrawn_dataset_revokes_its_consents_and_frees_its_prepared_hash(registry: Registry) -> None:
    world = build_world(registry)
    data_owner, bench_owner = world.tokens["data_owner"], world.tokens["bench_owner"]
    assert data_owner is not None and bench_owner is not None
    dataset_id = world.ids["dataset"]
    dataset = registry.ok("GET", f"/datasets/{dataset_id}", data_owner)
    registry.ok("PATCH", f"/datasets/{dataset_id}", data_owner, {"state": "OPERATION"})
    _withdraw(registry, data_owner, "datasets", dataset_id)
    assert dataset_id not in _listed(registry, data_owner, "datasets")
    consents = registry.ok("GET", "/consents", data_owner)["items"]
    assert consents and all(c["revoked"] for c in consents if c["dataset_id"] == dataset_id)
    bench = registry.ok("GET", f"/benchmarks/{dataset['benchmark_id']}", data_owner)
    twin = registry.dataset(data_owner, bench, prepared_data_hash=dataset["prepared_data_hash"], raw_data_hash=sha("x"))
    assert registry.ok("PATCH", f"/datasets/{twin['id']}", data_owner, {"state": "OPERATION"})["state"] == "OPERATION"
    assert _withdraw(registry, bench_owner, "datasets", dataset_id, 403)["detail"].startswith("only the owner")
