"""The result list's fast path: the documented page shape, UTC timestamps, live counts, scoping, revocation."""

from datetime import UTC, datetime

from server_world import Registry, build_world

from medperf.schemas import ResultPublic


def test_result_page_has_the_documented_shape_and_utc_timestamps(registry: Registry) -> None:
    world = build_world(registry)
    page = registry.ok("GET", f"/results?benchmark_id={world.ids['benchmark']}", world.tokens["bench_owner"])
    assert set(page) == {"items", "count", "limit", "offset"} and page["count"] == 1
    item = page["items"][0]
    assert set(item) == set(ResultPublic.model_fields)
    assert item["id"] == world.ids["result"] and item["status"] == "PENDING"
    created = datetime.fromisoformat(item["created_at"])
    assert created.utcoffset() is not None and created.utcoffset() == UTC.utcoffset(None)
    assert abs((datetime.now(UTC) - created).total_seconds()) < 600
    assert item == registry.ok("GET", f"/results/{item['id']}", world.tokens["bench_owner"])
    schema = registry.ok("GET", "/openapi.json", None)["paths"]["/api/v1/results"]["get"]["responses"]["200"]
    assert schema["content"]["application/json"]["schema"]["$ref"].endswith("Page_ResultPublic_")


def test_result_page_counts_new_results_and_pages_by_id(registry: Registry) -> None:
    world = build_world(registry)
    t, ids = world.tokens, world.ids
    opened = [ids["result"]]
    for n in range(3):
        body = {"benchmark_id": ids["benchmark"], "model_id": ids["model"], "dataset_id": ids["dataset"]}
        opened.append(registry.ok("POST", "/results", t["data_owner"], {**body, "client_key": f"k{n}"}, 201)["id"])
    path = f"/results?benchmark_id={ids['benchmark']}&limit=2"
    first = registry.ok("GET", path, t["bench_owner"])
    second = registry.ok("GET", path + "&offset=2", t["bench_owner"])
    assert first["count"] == second["count"] == 4
    assert [r["id"] for r in first["items"] + second["items"]] == sorted(opened)
    assert registry.ok("GET", f"/results?benchmark_id={ids['benchmark']}", t["stranger"])["count"] == 0
    assert registry.ok("GET", f"/results?model_id={ids['model']}", t["model_owner"])["count"] == 4


def test_result_page_refuses_a_revoked_token_at_once(registry: Registry) -> None:
    world = build_world(registry)
    token = world.tokens["bench_owner"]
    path = f"/results?benchmark_id={world.ids['benchmark']}"
    assert registry.ok("GET", path, token)["count"] == 1
    me = registry.ok("GET", "/users/me", token)
    token_id = registry.ok("GET", f"/users/{me['id']}/tokens", token)["items"][0]["id"]
    registry.ok("DELETE", f"/tokens/{token_id}", token)
    assert registry.call("GET", path, token).status_code == 401
