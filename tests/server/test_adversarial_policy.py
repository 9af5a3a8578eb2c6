"""Finding 4 (server half): the release policy is enforced again on the server, whatever a site sends.

Statistics (dataset registration, statistics updates, association with another benchmark) and metrics
(result finalization) that break the benchmark's release policy are a 422 naming the key; nothing is stored.
"""

from typing import Any

import pytest
from server_world import Registry, World, build_world, sha

BAD_STATISTICS = {
    "a key the policy does not allow": ({"num_cases": 40, "ages": [31, 44]}, "ages"),
    "per-case values as a list": ({"num_cases": 40, "sanity": {"cases": [0.1, 0.2]}}, "sanity"),
    "a count below k": ({"num_cases": 40, "label_counts": {"benign": 38, "malignant": 2}}, "malignant"),
    "a count below k written as a float": ({"num_cases": 40, "label_counts": {"malignant": 3.0}}, "malignant"),
    "a count below k written as a string": ({"num_cases": 40, "label_counts": {"malignant": "2"}}, "malignant"),
    "a smuggled string": ({"num_cases": 40, "sanity": {"note": "A-0001=0.93;A-0002=0.12"}}, "sanity"),
    "keys that are case ids": ({"num_cases": 40, "label_counts": {"A-0001": 20, "A-0002": 20}}, "label_counts"),
}
BAD_METRICS = {
    "a smuggled string": ({"auc": "A-0001=0.93;A-0002=0.12"}, "auc"),
    "per-case values": ({"auc": [0.9, 0.8, 0.7]}, "auc"),
    "a mapping keyed by case id": ({"auc": {"A-0001": 0.9}}, "auc"),
    "a 200 kB string": ({"auc": "x" * 200_000}, "auc"),
}


def _dataset_body(world: World, registry: Registry, statistics: dict[str, Any]) -> dict[str, Any]:
    bench = registry.ok("GET", f"/benchmarks/{world.ids['benchmark']}", registry.admin)
    return {
        "name": "d",
        "site": "site-a",
        "benchmark_id": bench["id"],
        "data_preparation_container_id": bench["data_preparation_container_id"],
        "raw_data_hash": sha("r"),
        "prepared_data_hash": sha("p"),
        "statistics": statistics,
    }


@pytest.mark.parametrize("case", sorted(BAD_STATISTICS))
def test_statistics_that_break_the_policy_are_refused_naming_the_key(registry: Registry, case: str) -> None:
    world = build_world(registry)
    statistics, key = BAD_STATISTICS[case]
    token = world.tokens["data_owner"]
    before = registry.ok("GET", "/audit", registry.admin)["count"]
    created = registry.call("POST", "/datasets", token, _dataset_body(world, registry, statistics))
    assert created.status_code == 422 and key in created.json()["detail"], created.text
    patched = registry.call("PATCH", f"/datasets/{world.ids['dataset']}", token, {"statistics": statistics})
    assert patched.status_code == 422 and key in patched.json()["detail"], patched.text
    assert registry.ok("GET", "/audit", registry.admin)["count"] == before
    assert registry.ok("GET", f"/datasets/{world.ids['dataset']}", token)["statistics"] == {}


@pytest.mark.parametrize("case", sorted(BAD_METRICS))
def test_metrics_that_break_the_policy_are_refused_naming_the_key(registry: Registry, case: str) -> None:
    world = build_world(registry)
    metrics, key = BAD_METRICS[case]
    token, result = world.tokens["data_owner"], world.ids["result"]
    response = registry.call("POST", f"/results/{result}/finalize", token, {"metrics": metrics})
    assert response.status_code == 422 and key in response.json()["detail"], response.text
    assert len(response.json()["detail"]) < 500 and "A-0001" not in response.json()["detail"]
    assert registry.ok("GET", f"/results/{result}", token)["status"] == "PENDING"


def test_metrics_of_fewer_cases_than_k_are_refused(registry: Registry) -> None:
    world = build_world(registry)
    token = str(world.tokens["data_owner"])
    registry.ok("PATCH", f"/datasets/{world.ids['dataset']}", token, {"statistics": {"num_cases": 3}}, 422)
    body = _dataset_body(world, registry, {"num_cases": 40, "label_counts": {"benign": 20, "malignant": 20}})
    accepted = registry.ok("POST", "/datasets", token, body, 201)
    assert accepted["statistics"]["label_counts"] == {"benign": 20, "malignant": 20}
    final = registry.ok("POST", f"/results/{world.ids['result']}/finalize", token, {"metrics": {"auc": 0.91}})
    assert final["metrics"] == {"auc": 0.91}


def test_a_stricter_benchmark_refuses_the_association_of_a_dataset_its_policy_would_not_release(
    registry: Registry,
) -> None:
    world = build_world(registry)
    token = str(world.tokens["data_owner"])
    body = _dataset_body(world, registry, {"num_cases": 40, "label_counts": {"benign": 34, "malignant": 6}})
    dataset = registry.ok("POST", "/datasets", token, body, 201)
    _, strict_owner = registry.user("strict")
    strict = registry.benchmark(strict_owner)
    registry.ok("PATCH", f"/benchmarks/{strict['id']}", strict_owner, {"release_policy": {"min_cell_count": 10}})
    request = {"benchmark_id": strict["id"], "dataset_id": dataset["id"]}
    detail = registry.ok("POST", "/associations/datasets", token, request, 422)["detail"]
    assert "malignant" in detail


def test_statistics_are_checked_against_every_benchmark_they_are_shown_to(registry: Registry) -> None:
    """A policy made stricter, or statistics changed later, cannot let a refused cell reach a benchmark owner."""
    world = build_world(registry)
    t, w = world.tokens, world.ids
    data_owner, bench_owner = str(t["data_owner"]), str(t["bench_owner"])
    fine = {"num_cases": 40, "label_counts": {"benign": 34, "malignant": 6}}
    registry.ok("PATCH", f"/datasets/{w['dataset']}", data_owner, {"statistics": fine})
    registry.ok("PATCH", f"/benchmarks/{w['benchmark']}", bench_owner, {"release_policy": {"min_cell_count": 10}})
    renewal = registry.ok("GET", f"/associations/datasets?dataset_id={w['dataset']}", data_owner)["items"][0]
    detail = registry.ok("POST", f"/associations/datasets/{renewal['id']}/approve", data_owner, status=422)["detail"]
    assert "malignant" in detail
    registry.ok("GET", f"/datasets/{w['dataset']}", bench_owner, status=404)

    other = registry.ok("POST", "/datasets", data_owner, _dataset_body(world, registry, {"num_cases": 40}), 201)
    _, strict_owner = registry.user("strict")
    strict = registry.benchmark(strict_owner)
    registry.ok("PATCH", f"/benchmarks/{strict['id']}", strict_owner, {"release_policy": {"min_cell_count": 10}})
    registry.ok(
        "POST", "/associations/datasets", data_owner, {"benchmark_id": strict["id"], "dataset_id": other["id"]}, 201
    )
    detail = registry.ok("PATCH", f"/datasets/{other['id']}", data_owner, {"statistics": fine}, 422)["detail"]
    assert "malignant" in detail
    assert registry.ok("GET", f"/datasets/{other['id']}", strict_owner)["statistics"] == {"num_cases": 40}
