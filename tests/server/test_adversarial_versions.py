"""Finding 6: what was approved stays what runs. A model wraps only its owner's container; a new container
is a new model version the benchmark approves again; a new release policy is a new policy version the data
owners approve again; a standing consent holds only for the containers and the policy it was granted under.
"""

from typing import Any

from server_world import Registry, World, build_world


def _check(reg: Registry, world: World, **extra: Any) -> dict[str, Any]:
    w = world.ids
    query = f"benchmark_id={w['benchmark']}&dataset_id={w['dataset']}&model_id={w['model']}"
    query += "".join(f"&{key}={value}" for key, value in extra.items())
    answer: dict[str, Any] = reg.ok("GET", f"/consents/check?{query}", world.tokens["data_owner"])
    return answer


def _new_result(reg: Registry, world: World, status: int) -> dict[str, Any]:
    w = world.ids
    body = {"benchmark_id": w["benchmark"], "model_id": w["model"], "dataset_id": w["dataset"]}
    answer: dict[str, Any] = reg.ok("POST", "/results", world.tokens["data_owner"], body, status)
    return answer


def test_a_model_wraps_only_a_container_its_owner_owns(registry: Registry) -> None:
    world = build_world(registry)
    t, w = world.tokens, world.ids
    foreign = registry.container(str(t["bench_owner"]), operation=True)
    detail = registry.ok("POST", "/models", t["model_owner"], {"name": "m", "container_id": foreign}, 403)["detail"]
    assert detail.startswith("container_id: ")
    registry.ok("PATCH", f"/models/{w['model']}", t["model_owner"], {"container_id": foreign}, 403)
    model = registry.ok("GET", f"/models/{w['model']}", t["model_owner"])
    assert model["container_id"] == w["model_container"] and model["version"] == "1"


def test_a_new_container_on_an_approved_operation_model_needs_the_benchmark_again(registry: Registry) -> None:
    world = build_world(registry)
    t, w = world.tokens, world.ids
    model_owner, bench_owner = str(t["model_owner"]), str(t["bench_owner"])
    registry.ok("PATCH", f"/containers/{w['model_container']}", model_owner, {"state": "OPERATION"})
    registry.ok("PATCH", f"/models/{w['model']}", model_owner, {"state": "OPERATION"})
    assert _check(registry, world)["holds"] is True
    new_container = registry.container(model_owner, operation=True)

    changed = registry.ok("PATCH", f"/models/{w['model']}", model_owner, {"container_id": new_container})
    assert changed["version"] == "2" and changed["container_id"] == new_container

    latest = registry.ok("GET", f"/associations/models?model_id={w['model']}", bench_owner)["items"]
    assert [(a["approval_status"], a["model_container_id"], a["previous_id"]) for a in latest] == [
        ("PENDING", new_container, w["massoc"])
    ]
    detail = _new_result(registry, world, 409)["detail"]
    assert detail.startswith("model_id: ") and str(new_container) in detail
    check = _check(registry, world)
    assert check["holds"] is False and check["model_container_id"] == new_container
    registry.ok("POST", f"/associations/models/{w['massoc']}/approve", bench_owner, status=409)  # decided already
    registry.ok("POST", f"/associations/models/{latest[0]['id']}/approve", model_owner, status=403)  # its own request
    registry.ok("POST", f"/associations/models/{latest[0]['id']}/approve", bench_owner)
    _new_result(registry, world, 201)
    # The benchmark approved the new container; the data owner's consent was for the old one: it does not hold.
    check = _check(registry, world)
    assert check["holds"] is False and f"not container {w['model_container']}" in check["reason"]
    body = {"benchmark_id": w["benchmark"], "dataset_id": w["dataset"], "expires_at": "2999-01-01T00:00:00Z"}
    consent = registry.ok("POST", "/consents", t["data_owner"], body, 201)
    assert {"model_id": w["model"], "container_id": new_container, "image_digest": None} in consent["models"]
    assert _check(registry, world) == {
        "holds": True,
        "reason": f"consent {consent['id']} holds",
        "consent_id": consent["id"],
        "policy_version": 1,
        "model_container_id": new_container,
    }
    assert _check(registry, world, model_container_id=w["model_container"])["holds"] is False  # the site ran the old


def test_an_explicit_version_must_be_new_and_a_same_container_changes_nothing(registry: Registry) -> None:
    world = build_world(registry)
    model_owner, model = str(world.tokens["model_owner"]), world.ids["model"]
    other = registry.container(model_owner)
    registry.ok("PATCH", f"/models/{model}", model_owner, {"container_id": other, "version": "1"}, 409)
    same = registry.ok("PATCH", f"/models/{model}", model_owner, {"container_id": world.ids["model_container"]})
    assert same["version"] == "1"
    assert (
        registry.ok("GET", f"/associations/models?model_id={model}", model_owner)["items"][0]["id"]
        == world.ids["massoc"]
    )
    named = registry.ok("PATCH", f"/models/{model}", model_owner, {"container_id": other, "version": "2.0-rc"})
    assert named["version"] == "2.0-rc"


def test_a_new_release_policy_needs_every_data_owner_again(registry: Registry) -> None:
    world = build_world(registry)
    t, w = world.tokens, world.ids
    bench_owner, data_owner = str(t["bench_owner"]), str(t["data_owner"])
    path = f"/benchmarks/{w['benchmark']}"
    same = registry.ok("GET", path, bench_owner)["release_policy"]
    assert registry.ok("PATCH", path, bench_owner, {"release_policy": same})["policy_version"] == 1  # no change
    weaker = {**same, "min_cell_count": 1}
    assert registry.ok("PATCH", path, bench_owner, {"release_policy": weaker})["policy_version"] == 2

    renewal = registry.ok("GET", f"/associations/datasets?dataset_id={w['dataset']}", data_owner)["items"][0]
    assert (renewal["approval_status"], renewal["policy_version"], renewal["previous_id"]) == (
        "PENDING",
        2,
        w["dassoc"],
    )
    assert _new_result(registry, world, 409)["detail"].startswith("dataset_id: ")
    check = _check(registry, world)
    assert check["holds"] is False and check["policy_version"] == 2
    assert registry.ok("GET", "/consents?active=true", data_owner)["count"] == 0
    assert registry.ok("GET", "/consents?active=false", data_owner)["count"] == 1
    registry.ok("GET", f"/datasets/{w['dataset']}", bench_owner, status=404)  # until the data owner agrees again
    registry.ok("POST", f"/associations/datasets/{renewal['id']}/approve", bench_owner, status=403)
    registry.ok("POST", f"/associations/datasets/{renewal['id']}/approve", data_owner)
    registry.ok("GET", f"/datasets/{w['dataset']}", bench_owner)
    _new_result(registry, world, 201)
    assert "release policy changed (version 1 -> 2)" in _check(registry, world)["reason"]
    body = {"benchmark_id": w["benchmark"], "dataset_id": w["dataset"], "expires_at": "2999-01-01T00:00:00Z"}
    assert registry.ok("POST", "/consents", data_owner, body, 201)["policy_version"] == 2
    assert _check(registry, world)["holds"] is True
    assert _check(registry, world, policy_version=1)["holds"] is False  # the site checked against the old policy


def test_a_rejected_renewal_leaves_the_dataset_out_until_asked_again(registry: Registry) -> None:
    world = build_world(registry)
    t, w = world.tokens, world.ids
    bench_owner, data_owner = str(t["bench_owner"]), str(t["data_owner"])
    registry.ok("PATCH", f"/benchmarks/{w['benchmark']}", bench_owner, {"release_policy": {"min_cell_count": 9}})
    renewal = registry.ok("GET", f"/associations/datasets?dataset_id={w['dataset']}", data_owner)["items"][0]
    registry.ok("POST", f"/associations/datasets/{renewal['id']}/reject", data_owner)
    registry.ok("GET", f"/datasets/{w['dataset']}", bench_owner, status=404)
    body = {"benchmark_id": w["benchmark"], "dataset_id": w["dataset"]}
    again = registry.ok("POST", "/associations/datasets", data_owner, body, 201)
    assert again["policy_version"] == 2 and again["previous_id"] == renewal["id"]
    registry.ok("POST", f"/associations/datasets/{again['id']}/approve", bench_owner)
    _new_result(registry, world, 201)
