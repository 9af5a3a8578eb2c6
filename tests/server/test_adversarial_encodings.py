"""Finding 3: invalid Unicode and NUL anywhere in a JSON body are refused at the edge (422), never committed.

Before, a container command or a statistics value holding a lone surrogate was committed, answered with
a 500, and every later list of containers (or of the site's datasets) failed with a 500 too.
"""

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from server_world import CONFIG, Registry, World, build_world, sha

from medperf.server.app import create_app
from medperf.settings import ServerSettings

BAD_TEXT = {"lone high surrogate": "\ud800", "lone low surrogate": "x\udfff", "NUL": "a\u0000b"}


def _nest(value: Any, depth: int) -> Any:
    for level in range(depth):
        value = {f"level{level}": value}
    return value


def _payloads(w: World, bad: str) -> list[tuple[str, str, str, Callable[[], Any]]]:
    """(label, method, path, body) with the bad text in a value, a key, or deep inside."""
    prep, bench = w.ids["prep"], w.ids["benchmark"]
    tasks = {"prepare": {"run_args": {"command": f"python prep.py {bad}"}}}

    def dataset(statistics: Any) -> dict[str, Any]:
        return {
            "name": "d",
            "site": "site-a",
            "benchmark_id": bench,
            "data_preparation_container_id": prep,
            "raw_data_hash": sha("r"),
            "prepared_data_hash": sha("p"),
            "statistics": statistics,
        }

    return [
        ("container command", "POST", "/containers", lambda: {"name": "c", "config": {"tasks": tasks}, "image": "x:1"}),
        ("container image", "POST", "/containers", lambda: {"name": "c", "config": CONFIG, "image": f"x{bad}"}),
        ("config key", "POST", "/containers", lambda: {"name": "c", "config": {**CONFIG, bad: 1}, "image": "x:1"}),
        (
            "parameters deep",
            "POST",
            "/containers",
            lambda: {"name": "c", "config": CONFIG, "image": "x", "parameters": _nest([bad], 6)},
        ),
        ("statistics value", "POST", "/datasets", lambda: dataset({"num_cases": 10, "sanity": bad})),
        ("statistics key", "POST", "/datasets", lambda: dataset({"label_counts": {bad: 10}})),
        (
            "statistics patch",
            "PATCH",
            f"/datasets/{w.ids['dataset']}",
            lambda: {"statistics": {"sanity": {"note": bad}}},
        ),
        ("metrics key", "POST", f"/results/{w.ids['result']}/finalize", lambda: {"metrics": {f"auc{bad}": 0.5}}),
        ("user name", "POST", "/users", lambda: {"email": "new@example.org", "name": f"N{bad}"}),
        ("benchmark description", "PATCH", f"/benchmarks/{bench}", lambda: {"description": bad}),
        ("sanity suite", "PATCH", f"/benchmarks/{bench}", lambda: {"sanity_suite": _nest({"expectations": [bad]}, 4)}),
    ]


def _send(registry: Registry, method: str, path: str, token: str | None, body: Any) -> Any:
    """Send the body as ASCII JSON with \\u escapes, as any client (or attacker) may (httpx would refuse)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return registry.client.request(method, f"/api/v1{path}", content=json.dumps(body).encode(), headers=headers)


TOKEN_OF = {"/users": "admin", "/benchmarks": "bench_owner", "/containers": "model_owner"}


@pytest.mark.parametrize("kind", sorted(BAD_TEXT))
def test_bad_text_anywhere_is_a_422_and_nothing_is_committed(registry: Registry, kind: str) -> None:
    world = build_world(registry)
    for label, method, path, body in _payloads(world, BAD_TEXT[kind]):
        role = next((r for prefix, r in TOKEN_OF.items() if path.startswith(prefix)), "data_owner")
        before = registry.ok("GET", "/audit", registry.admin)["count"]
        response = _send(registry, method, path, world.tokens[role], body())
        assert response.status_code == 422, (label, response.status_code, response.text)
        detail = response.json()["detail"]
        assert isinstance(detail, str) and "\n" not in detail, (label, detail)
        assert registry.ok("GET", "/audit", registry.admin)["count"] == before, label
    for role, path in (("model_owner", "/containers"), ("data_owner", "/datasets"), ("data_owner", "/results")):
        assert registry.call("GET", path, world.tokens[role]).status_code == 200, path
    assert registry.ok("GET", f"/results/{world.ids['result']}", world.tokens["data_owner"])["status"] == "PENDING"


def test_escaped_text_that_is_valid_passes(registry: Registry) -> None:
    """A surrogate pair (an emoji), other escapes and the literal text backslash-u-0000 are fine."""
    _, owner = registry.user("owner")
    text = "\U0001f600 caf\u00e9 \\u0000 tab\t"
    body = {"name": "ok", "config": CONFIG, "image": "x:1", "parameters": {"note": text, text: 1}}
    created = registry.ok("POST", "/containers", owner, body, 201)
    assert created["parameters"] == {"note": text, text: 1}


def test_bodies_that_are_not_utf8_json_are_a_422(registry: Registry) -> None:
    _, owner = registry.user("owner")
    headers = {"Authorization": f"Bearer {owner}", "Content-Type": "application/json"}
    for raw in (
        b'{"name": "c\xff", "config": {}, "image": "x"}',  # not UTF-8
        b'{"name": "c\xed\xa0\x80", "config": {}, "image": "x"}',  # a surrogate encoded as UTF-8 bytes
        b'{"name": "c", "config": {"a": NaN}, "image": "x"}',
        b'{"name": "c", "config": {"a": 1e400}, "image": "x"}',
        b'{"name": "c", "config": {"a": 123456789012345678901234567890}, "image": "x"}',
        b'\xef\xbb\xbf{"name": "c"}',  # a byte-order mark
    ):
        response = registry.client.post("/api/v1/containers", content=raw, headers=headers)
        assert response.status_code == 422, (raw, response.status_code, response.text)
        assert isinstance(response.json()["detail"], str)
    assert registry.ok("GET", "/containers", owner)["count"] == 0


def test_a_row_poisoned_before_the_fix_no_longer_breaks_lists(tmp_path: Path, sqlite_template: Path) -> None:
    """A lone surrogate already stored in a JSON column reads back as U+FFFD: lists answer 200."""
    database = tmp_path / "registry.db"
    database.write_bytes(sqlite_template.read_bytes())
    settings = ServerSettings(database_url=f"sqlite:///{database}")
    from medperf.server.admin import create_admin

    token = create_admin(settings, "admin@example.org", "Admin")
    poisoned = json.dumps({"tasks": {"prepare": {"run_args": {"command": "run \ud800"}}}})
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO containers (name, owner_id, config, image, state, created_at) "
            "VALUES ('old', 1, ?, 'x:1', 'DEVELOPMENT', '2026-01-01 00:00:00+00:00')",
            (poisoned,),
        )
    app = create_app(settings, upgrade_db=False)
    with TestClient(app) as client:
        response = client.get("/api/v1/containers", headers={"Authorization": f"Bearer {token}"})
    app.state.engine.dispose()
    assert response.status_code == 200, response.text
    assert response.json()["items"][0]["config"]["tasks"]["prepare"]["run_args"]["command"] == "run \ufffd"
