"""Finding 7 (server half): huge ids, far-away dates, deep nesting, big bodies and many keys never give a 5xx.

Limits (ServerSettings): max_body_bytes (default 2 MiB, 413), max_json_depth (32) and max_json_items
(50,000 keys and list items in all), both 422; every id is 1..2^31-1; JSON integers fit 64 bits.
"""

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from server_world import Registry, build_world, sha

from medperf.server.app import create_app
from medperf.settings import ServerSettings

HUGE_IDS = (2**31, 2**63 - 1, 2**63, 2**64, 10**30)


def _raw(registry: Registry, method: str, path: str, token: str | None, raw: bytes | Iterator[bytes]) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return registry.client.request(method, f"/api/v1{path}", content=raw, headers=headers)


def test_huge_ids_in_paths_are_not_found(registry: Registry) -> None:
    world = build_world(registry)
    token = world.tokens["admin"]
    paths = registry.ok("GET", "/openapi.json", None)["paths"]
    checked = 0
    for template, operations in paths.items():
        if "{" not in template:
            continue
        for huge in HUGE_IDS:
            path = template.replace("{kind}", "datasets")
            for key in ("user_id", "token_id", "container_id", "model_id", "benchmark_id", "dataset_id"):
                path = path.replace("{" + key + "}", str(huge))
            for key in ("association_id", "result_id", "consent_id"):
                path = path.replace("{" + key + "}", str(huge))
            for method in operations:
                body = {"metrics": {"auc": 0.5}} if path.endswith("finalize") else {}
                response = registry.client.request(
                    method.upper(), path, headers={"Authorization": f"Bearer {token}"}, json=body
                )
                assert response.status_code in (404, 422), (method, path, response.status_code, response.text)
                checked += 1
    assert checked >= 20 * len(HUGE_IDS)


def test_huge_ids_in_bodies_and_queries_are_a_422(registry: Registry) -> None:
    world = build_world(registry)
    w, t = world.ids, world.tokens
    for huge in HUGE_IDS:
        cases = [
            ("POST", "/models", "model_owner", {"name": "m", "container_id": huge}),
            ("PATCH", f"/models/{w['model']}", "model_owner", {"container_id": huge}),
            ("POST", "/associations/datasets", "data_owner", {"benchmark_id": huge, "dataset_id": w["dataset"]}),
            ("POST", "/associations/models", "model_owner", {"benchmark_id": w["benchmark"], "model_id": huge}),
            ("POST", "/results", "data_owner", {"benchmark_id": huge, "model_id": huge, "dataset_id": huge}),
            (
                "POST",
                f"/results/{w['result']}/finalize",
                "data_owner",
                {"metrics": {"auc": 0.5}, "evaluator_container_id": huge, "model_container_id": huge},
            ),
            ("POST", "/consents", "data_owner", {"benchmark_id": huge, "dataset_id": huge, "expires_at": "2999-01-01"}),
            (
                "POST",
                "/benchmarks",
                "stranger",
                {
                    "name": "b",
                    "data_preparation_container_id": huge,
                    "reference_model_id": 1,
                    "evaluator_container_id": 1,
                },
            ),
            ("GET", f"/datasets?benchmark_id={huge}", "data_owner", None),
            ("GET", f"/consents/check?benchmark_id={huge}&dataset_id=1&model_id=1", "data_owner", None),
            ("GET", f"/results?offset={huge}", "data_owner", None),
        ]
        for method, path, role, body in cases:
            response = registry.call(method, path, t[role], body)
            assert response.status_code == 422, (method, path, huge, response.status_code, response.text)
    assert registry.ok("GET", f"/results/{w['result']}", t["data_owner"])["status"] == "PENDING"


@pytest.mark.parametrize(
    ("moment", "status"),
    [
        ("9999-12-31T23:59:59-01:00", 422),  # past year 9999 once in UTC
        ("9999-12-31T23:59:59+01:00", 201),
        ("9999-12-31T23:59:59", 201),  # naive: taken as UTC
        ("2999-01-01T00:00:00+14:00", 201),
        ("0001-01-01T00:30:00+01:00", 422),  # before year 1 in UTC
        ("2000-01-01T00:00:00Z", 422),  # in the past
        ("10000-01-01T00:00:00Z", 422),
    ],
)
def test_far_away_expiry_dates_are_refused_or_stored_never_a_500(registry: Registry, moment: str, status: int) -> None:
    world = build_world(registry)
    body = {"benchmark_id": world.ids["benchmark"], "dataset_id": world.ids["dataset"], "expires_at": moment}
    response = registry.call("POST", "/consents", world.tokens["data_owner"], body)
    assert response.status_code == status, response.text
    if status == 201:
        listed = registry.ok("GET", "/consents?active=true", world.tokens["data_owner"])
        assert response.json()["id"] in [c["id"] for c in listed["items"]]


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def test_deep_json_is_a_422_fast(registry: Registry) -> None:
    _, owner = registry.user("owner")
    config = json.dumps({"tasks": {"prepare": {}}})
    for depth in (33, 300, 100_000):
        raw = b'{"name": "c", "image": "x", "config": ' + config.encode() + b', "parameters": ' + _nested(depth) + b"}"
        started = time.process_time()  # CPU of this process (the in-process server): other load does not count
        response = _raw(registry, "POST", "/containers", owner, raw)
        assert response.status_code == 422, (depth, response.text)
        assert time.process_time() - started < 2, depth
    fine = b'{"name": "c", "image": "x", "config": ' + config.encode() + b', "parameters": ' + _nested(20) + b"}"
    assert _raw(registry, "POST", "/containers", owner, fine).status_code == 201


def test_big_bodies_are_a_413_with_one_line(registry: Registry) -> None:
    _, owner = registry.user("owner")
    big = b'{"name": "c", "image": "' + b"x" * (3 * 1024 * 1024) + b'", "config": {}}'
    response = _raw(registry, "POST", "/containers", owner, big)
    assert response.status_code == 413
    assert response.json() == {"detail": "body: larger than the server's limit of 2097152 bytes"}
    chunks = iter([big[i : i + 65536] for i in range(0, len(big), 65536)])  # no Content-Length: streamed
    assert _raw(registry, "POST", "/containers", owner, chunks).status_code == 413
    assert registry.ok("GET", "/containers", owner)["count"] == 0


def _dataset_body(world_bench: dict[str, Any], statistics_raw: bytes) -> bytes:
    head = {
        "name": "d",
        "site": "site-a",
        "benchmark_id": world_bench["id"],
        "data_preparation_container_id": world_bench["data_preparation_container_id"],
        "raw_data_hash": sha("r"),
        "prepared_data_hash": sha("p"),
    }
    return json.dumps(head).encode()[:-1] + b', "statistics": ' + statistics_raw + b"}"


def test_statistics_with_many_keys_are_refused_fast(registry: Registry) -> None:
    world = build_world(registry)
    bench = registry.ok("GET", f"/benchmarks/{world.ids['benchmark']}", registry.admin)
    token = world.tokens["data_owner"]
    for keys, status in ((400_000, 413), (120_000, 422), (60_000, 422)):
        counts = b"{" + b",".join(b'"k%d":%d' % (i, i) for i in range(keys)) + b"}"
        raw = _dataset_body(bench, b'{"label_counts": ' + counts + b"}")
        started = time.process_time()  # CPU of this process (the in-process server): other load does not count
        response = _raw(registry, "POST", "/datasets", token, raw)
        elapsed = time.process_time() - started
        assert response.status_code == status, (keys, len(raw), response.text[:200])
        assert elapsed < 1.5, (keys, elapsed)
    assert registry.ok("GET", "/datasets", token)["count"] == 1  # the world's


def test_the_limits_are_settings(settings: ServerSettings) -> None:
    strict = settings.model_copy(update={"max_body_bytes": 4096, "max_json_depth": 4, "max_json_items": 100})
    app = create_app(strict, upgrade_db=False)
    with TestClient(app) as client:
        headers = {"Content-Type": "application/json"}
        assert client.post("/api/v1/users", content=b"[" + b"0," * 3000 + b"0]", headers=headers).status_code == 413
        deep = client.post("/api/v1/users", content=_nested(5), headers=headers)
        assert deep.status_code == 422 and "deeper than 4" in deep.json()["detail"]
        many = client.post("/api/v1/users", content=b"[" + b"0," * 150 + b"0]", headers=headers)
        assert many.status_code == 422 and "more than 100" in many.json()["detail"]
    app.state.engine.dispose()
