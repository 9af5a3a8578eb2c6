"""The approval and data rules of the registry, each with its own test."""

from typing import Any

from server_world import Registry, build_world, dataset_for_benchmark, sha
from sqlmodel import Session, create_engine, select

from medperf.server.tables import ApiToken


def _assoc(reg: Registry, token: str, kind: str, bench: int, entity: int, status: int = 201) -> dict[str, Any]:
    field = "dataset_id" if kind == "datasets" else "model_id"
    answer: dict[str, Any] = reg.ok(
        "POST", f"/associations/{kind}", token, {"benchmark_id": bench, field: entity}, status
    )
    return answer


def test_admin_approves_or_rejects_a_benchmark_once(registry: Registry) -> None:
    _, owner = registry.user("owner")
    bench = registry.benchmark(owner, approve=False)
    assert bench["approval_status"] == "PENDING"
    registry.ok("POST", f"/benchmarks/{bench['id']}/approve", owner, status=403)
    assert registry.ok("POST", f"/benchmarks/{bench['id']}/reject", registry.admin)["approval_status"] == "REJECTED"
    detail = registry.ok("POST", f"/benchmarks/{bench['id']}/approve", registry.admin, status=409)["detail"]
    assert "REJECTED" in detail


def test_a_user_has_at_most_one_pending_benchmark(registry: Registry) -> None:
    _, owner = registry.user("owner")
    registry.benchmark(owner, approve=False)
    response = registry.call(
        "POST",
        "/benchmarks",
        owner,
        {
            "name": "second",
            "data_preparation_container_id": registry.container(owner),
            "reference_model_id": registry.model(owner),
            "evaluator_container_id": registry.container(owner),
        },
    )
    assert response.status_code == 409 and "PENDING" in response.json()["detail"]


def test_benchmark_reaches_operation_only_when_approved_and_parts_operational(registry: Registry) -> None:
    _, owner = registry.user("owner")
    bench = registry.benchmark(owner, approve=False)
    to_op = {"state": "OPERATION"}
    assert "APPROVED" in registry.ok("PATCH", f"/benchmarks/{bench['id']}", owner, to_op, 409)["detail"]
    registry.ok("POST", f"/benchmarks/{bench['id']}/approve", registry.admin)
    assert "in OPERATION" in registry.ok("PATCH", f"/benchmarks/{bench['id']}", owner, to_op, 409)["detail"]
    model = registry.ok("GET", f"/models/{bench['reference_model_id']}", owner)
    for cid in (bench["data_preparation_container_id"], bench["evaluator_container_id"], model["container_id"]):
        registry.ok("PATCH", f"/containers/{cid}", owner, to_op)
    registry.ok("PATCH", f"/models/{model['id']}", owner, to_op)
    assert registry.ok("PATCH", f"/benchmarks/{bench['id']}", owner, to_op)["state"] == "OPERATION"
    registry.ok("PATCH", f"/containers/{bench['evaluator_container_id']}", owner, {"name": "changed"}, 409)


def test_association_is_approved_by_the_other_party_and_either_may_reject(registry: Registry) -> None:
    bench_owner, data_owner, bench, dataset = dataset_for_benchmark(registry)
    req = _assoc(registry, data_owner, "datasets", bench["id"], dataset["id"])
    assert req["approval_status"] == "PENDING"
    detail = registry.ok("POST", f"/associations/datasets/{req['id']}/approve", data_owner, status=403)["detail"]
    assert "requester" in detail
    _assoc(registry, data_owner, "datasets", bench["id"], dataset["id"], 409)  # one open request at a time
    registry.ok("POST", f"/associations/datasets/{req['id']}/reject", data_owner)
    registry.ok("POST", f"/associations/datasets/{req['id']}/approve", bench_owner, status=409)
    _assoc(registry, bench_owner, "datasets", bench["id"], dataset["id"], 404)  # only the data owner asks
    again = _assoc(registry, data_owner, "datasets", bench["id"], dataset["id"])  # a new request after rejection
    registry.ok("POST", f"/associations/datasets/{again['id']}/approve", data_owner, status=403)
    decided = registry.ok("POST", f"/associations/datasets/{again['id']}/approve", bench_owner)
    assert decided["approval_status"] == "APPROVED"
    latest = registry.ok("GET", f"/associations/datasets?benchmark_id={bench['id']}", bench_owner)
    history = registry.ok("GET", f"/associations/datasets?benchmark_id={bench['id']}&latest_only=false", bench_owner)
    assert [a["id"] for a in latest["items"]] == [again["id"]] and history["count"] == 2


def test_auto_approval_never_always_allowlist(registry: Registry) -> None:
    _, bench_owner = registry.user("bench")
    _, listed = registry.user("listed")
    _, unlisted = registry.user("unlisted")
    bench = registry.benchmark(bench_owner)
    policy = f"/benchmarks/{bench['id']}/policy"
    assert _assoc(registry, listed, "models", bench["id"], registry.model(listed))["approval_status"] == "PENDING"
    registry.ok("PUT", policy, bench_owner, {"auto_approval_mode": "ALWAYS"})
    assert _assoc(registry, unlisted, "models", bench["id"], registry.model(unlisted))["approval_status"] == "APPROVED"
    registry.ok(
        "PUT",
        policy,
        bench_owner,
        {"auto_approval_mode": "ALLOWLIST", "auto_approval_allowlist": ["Listed@example.org"]},
    )
    assert _assoc(registry, listed, "models", bench["id"], registry.model(listed))["approval_status"] == "APPROVED"
    assert _assoc(registry, unlisted, "models", bench["id"], registry.model(unlisted))["approval_status"] == "PENDING"


def test_result_needs_approved_associations_except_reference_model(registry: Registry) -> None:
    bench_owner, data_owner, bench, dataset = dataset_for_benchmark(registry)
    _, model_owner = registry.user("modeler")
    model = registry.model(model_owner)
    ref = {"benchmark_id": bench["id"], "model_id": bench["reference_model_id"], "dataset_id": dataset["id"]}
    assert "dataset_id" in registry.ok("POST", "/results", data_owner, ref, 409)["detail"]
    req = _assoc(registry, data_owner, "datasets", bench["id"], dataset["id"])
    registry.ok("POST", f"/associations/datasets/{req['id']}/approve", bench_owner)
    registry.ok("POST", "/results", data_owner, ref, 201)  # reference model: no model association needed
    other = {**ref, "model_id": model}
    assert "model_id" in registry.ok("POST", "/results", data_owner, other, 409)["detail"]
    mreq = _assoc(registry, model_owner, "models", bench["id"], model)
    registry.ok("POST", f"/associations/models/{mreq['id']}/approve", bench_owner)
    registry.ok("POST", "/results", data_owner, other, 201)


def test_result_is_finalized_once_and_immutable(registry: Registry) -> None:
    world = build_world(registry)
    data_owner, rid = world.tokens["data_owner"], world.ids["result"]
    pending = registry.ok("GET", f"/results/{rid}", data_owner)
    assert pending["status"] == "PENDING" and pending["metrics"] is None
    final = registry.ok("POST", f"/results/{rid}/finalize", data_owner, {"metrics": {"auc": 0.91}})
    assert final["status"] == "FINALIZED" and final["metrics"] == {"auc": 0.91}
    registry.ok("POST", f"/results/{rid}/finalize", data_owner, {"metrics": {"auc": 0.99}}, 409)
    assert registry.ok("GET", f"/results/{rid}", data_owner)["metrics"] == {"auc": 0.91}


def test_operation_dataset_is_frozen_and_prepared_hash_unique(registry: Registry) -> None:
    _, bench_owner = registry.user("bench")
    _, data_owner = registry.user("data")
    bench = registry.benchmark(bench_owner)
    first = registry.dataset(data_owner, bench, prepared_data_hash=sha("same"))
    twin = registry.dataset(data_owner, bench, prepared_data_hash=sha("same"))
    registry.ok("PATCH", f"/datasets/{first['id']}", data_owner, {"state": "OPERATION"})
    assert "frozen" in registry.ok("PATCH", f"/datasets/{first['id']}", data_owner, {"name": "x"}, 409)["detail"]
    detail = registry.ok("PATCH", f"/datasets/{twin['id']}", data_owner, {"state": "OPERATION"}, 409)["detail"]
    assert "prepared_data_hash" in detail


def test_lists_and_details_are_scoped(registry: Registry) -> None:
    world = build_world(registry)
    t, ids = world.tokens, world.ids
    _, other_data = registry.user("otherdata")
    bench = registry.ok("GET", f"/benchmarks/{ids['benchmark']}", t["bench_owner"])
    registry.dataset(other_data, bench)  # prepared for the benchmark but never offered to it: not shown
    assert registry.ok("GET", "/datasets", t["stranger"])["count"] == 0
    assert registry.ok("GET", "/datasets", t["data_owner"])["count"] == 1
    assert registry.ok("GET", "/datasets", t["bench_owner"])["count"] == 1
    assert registry.ok("GET", "/datasets", other_data)["count"] == 1
    assert registry.ok("GET", "/results", t["stranger"])["count"] == 0
    for role in ("bench_owner", "data_owner", "model_owner", "admin"):
        assert registry.ok("GET", "/results", t[role])["count"] == 1, role
    registry.ok("GET", f"/datasets/{ids['dataset']}", other_data, status=404)
    assert registry.ok("GET", "/audit", t["stranger"])["count"] == 0
    assert all(e["actor_id"] is not None for e in registry.ok("GET", "/audit", t["data_owner"])["items"])


def test_tokens_are_stored_as_hashes_and_revocation_works(registry: Registry, settings: Any) -> None:
    uid, token = registry.user("someone")
    me = registry.ok("GET", "/users/me", token)
    assert me["id"] == uid
    engine = create_engine(settings.database_url)
    with Session(engine) as session:
        stored = [row.token_hash for row in session.exec(select(ApiToken)).all()]
    engine.dispose()
    assert token not in stored and all(len(h) == 64 for h in stored)
    tokens = registry.ok("GET", f"/users/{uid}/tokens", token)["items"]
    assert "token" not in tokens[0]
    registry.ok("DELETE", f"/tokens/{tokens[0]['id']}", token)
    assert registry.call("GET", "/users/me", token).status_code == 401
    assert registry.call("GET", "/users/me", "mpt_not-a-token").status_code == 401


def test_only_health_and_openapi_are_public(registry: Registry) -> None:
    assert registry.ok("GET", "/health", None) == {"status": "ok"}
    paths = registry.ok("GET", "/openapi.json", None)["paths"]
    for path, operations in paths.items():
        if path == "/health":
            continue
        concrete = path.replace("{kind}", "datasets")
        for key in (
            "user_id",
            "token_id",
            "container_id",
            "model_id",
            "benchmark_id",
            "dataset_id",
            "association_id",
            "result_id",
            "consent_id",
        ):
            concrete = concrete.replace("{" + key + "}", "1")
        for method in operations:
            status = registry.client.request(method.upper(), concrete).status_code
            assert status == 401, (method, path, status)


def test_client_key_makes_dataset_and_result_creation_idempotent(registry: Registry) -> None:
    world = build_world(registry)
    data_owner = str(world.tokens["data_owner"])
    bench = registry.ok("GET", f"/benchmarks/{world.ids['benchmark']}", data_owner)
    body = {
        "name": "retry",
        "site": "site-a",
        "benchmark_id": bench["id"],
        "data_preparation_container_id": bench["data_preparation_container_id"],
        "raw_data_hash": sha("r"),
        "prepared_data_hash": sha("p"),
        "client_key": "k-1",
    }
    first = registry.ok("POST", "/datasets", data_owner, body, 201)
    assert registry.ok("POST", "/datasets", data_owner, body, 200)["id"] == first["id"]
    registry.ok("POST", "/datasets", data_owner, {**body, "prepared_data_hash": sha("q")}, 409)
    result = {
        "benchmark_id": bench["id"],
        "model_id": world.ids["model"],
        "dataset_id": world.ids["dataset"],
        "client_key": "run-7",
    }
    made = registry.ok("POST", "/results", data_owner, result, 201)
    assert registry.ok("POST", "/results", data_owner, result, 200)["id"] == made["id"]
    assert registry.ok("GET", "/results", data_owner)["count"] == 2  # the world's result and this one, no duplicate


def test_lists_paginate_and_filter(registry: Registry) -> None:
    _, owner = registry.user("owner")
    ids = [registry.container(owner) for _ in range(5)]
    page = registry.ok(
        "GET", f"/containers?limit=2&offset=1&owner_id={registry.ok('GET', '/users/me', owner)['id']}", owner
    )
    assert page["count"] == 5 and [c["id"] for c in page["items"]] == ids[1:3]
    registry.ok("PATCH", f"/containers/{ids[0]}", owner, {"state": "OPERATION"})
    assert registry.ok("GET", "/containers?state=OPERATION", owner)["count"] == 1
    assert registry.call("GET", "/containers?limit=501", owner).status_code == 422
    assert registry.ok("GET", "/benchmarks?approval_status=REJECTED", owner)["count"] == 0


def test_text_the_database_cannot_store_is_a_422_not_a_500(registry: Registry) -> None:
    response = registry.call("POST", "/users", registry.admin, {"email": "nul\u0000@example.org", "name": "x"})
    assert response.status_code in (201, 422), response.text  # SQLite stores NUL; Postgres refuses it
    huge = registry.call("GET", f"/containers/{2**70}", registry.admin)
    assert huge.status_code == 404 and "container" in huge.json()["detail"]


def test_unknown_container_task_is_rejected_naming_the_field(registry: Registry) -> None:
    _, owner = registry.user("owner")
    body = {"name": "bad", "config": {"tasks": {"train": {}}}, "image": "x:1"}
    assert "config.tasks" in registry.ok("POST", "/containers", owner, body, 422)["detail"]
    body = {"name": "bad", "config": {"no_tasks": 1}, "image": "x:1"}
    assert "config.tasks" in registry.ok("POST", "/containers", owner, body, 422)["detail"]


def test_create_admin_returns_a_working_token_each_time(registry: Registry, settings: Any) -> None:
    from medperf.server.admin import create_admin

    second = create_admin(settings, "admin@example.org", "Admin")
    assert second != registry.admin
    assert registry.ok("GET", "/users/me", second)["is_admin"] is True
    assert registry.ok("GET", "/users?is_admin=true", second)["count"] == 1


def test_a_site_sees_the_model_associations_of_benchmarks_its_dataset_joined(registry: Registry) -> None:
    bench_owner, data_owner, bench, dataset = dataset_for_benchmark(registry)
    _, model_owner = registry.user("modeler")
    mreq = _assoc(registry, model_owner, "models", bench["id"], registry.model(model_owner))
    registry.ok("POST", f"/associations/models/{mreq['id']}/approve", bench_owner)
    listing = f"/associations/models?benchmark_id={bench['id']}"
    assert registry.ok("GET", listing, data_owner)["count"] == 0  # not (yet) part of the benchmark
    req = _assoc(registry, data_owner, "datasets", bench["id"], dataset["id"])
    assert registry.ok("GET", listing, data_owner)["count"] == 0  # a pending request is not enough
    registry.ok("POST", f"/associations/datasets/{req['id']}/approve", bench_owner)
    assert [a["id"] for a in registry.ok("GET", listing, data_owner)["items"]] == [mreq["id"]]
    registry.ok("POST", f"/associations/models/{mreq['id']}/approve", data_owner, status=404)  # not a party
