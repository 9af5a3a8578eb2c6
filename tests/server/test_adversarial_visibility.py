"""Finding 1: a benchmark owner sees a hospital's dataset only while the hospital offers it; ids do not leak.

The rule (as in MedPerf): only a dataset's owner asks to associate it with a benchmark; the benchmark's
owner sees the dataset while the latest association row of the pair is APPROVED, or PENDING and asked
for by the dataset owner. Not after a rejection, not for a request it made itself, not while a changed
release policy waits for the data owner's approval again. Unknown and forbidden ids answer alike.
"""

from typing import Any

from server_world import Registry, build_world

# The caller owns an approved benchmark B; "relation" is what the dataset's owner did with B.
# endpoint                         own  offered joined rejected renewal unrelated prepared_for_B
RELATIONS = ("own", "offered", "joined", "rejected", "renewal", "unrelated", "prepared_for_b")
MATRIX = """
GET /datasets/{id}                 200  200     200    404      404     404       404
LIST /datasets                     1    1       1      0        0       0         0
PATCH /datasets/{id}               200  403     403    404      404     404       404
POST /associations/datasets        409  403     403    404      404     404       404
POST /consents                     201  403     403    404      404     404       404
"""


def _relations(reg: Registry) -> tuple[str, dict[str, int]]:
    """The caller (a benchmark owner) and one dataset per relation to its benchmark B."""
    _, caller = reg.user("caller")
    _, hospital = reg.user("hospital")
    bench = reg.benchmark(caller)
    other_bench = reg.benchmark(reg.user("other")[1])
    stats = {"num_cases": 50}

    def offer(owner: str, dataset_id: int) -> dict[str, Any]:
        body = {"benchmark_id": bench["id"], "dataset_id": dataset_id}
        answer: dict[str, Any] = reg.ok("POST", "/associations/datasets", owner, body, 201)
        return answer

    made: dict[str, int] = {"bench": bench["id"], "own": reg.dataset(caller, bench, statistics=stats)["id"]}
    assert offer(caller, made["own"])["approval_status"] == "APPROVED"  # both sides are the caller's
    for relation in ("joined", "renewal"):
        made[relation] = reg.dataset(hospital, other_bench, statistics=stats)["id"]
        reg.ok("POST", f"/associations/datasets/{offer(hospital, made[relation])['id']}/approve", caller)
    # The caller changes B's release policy after "joined" and "renewal" had joined ...
    assert (
        reg.ok("PATCH", f"/benchmarks/{bench['id']}", caller, {"release_policy": {"min_cell_count": 7}})[
            "policy_version"
        ]
        == 2
    )
    # ... and the hospital approves the new version for "joined" only (the caller's own pair renews at once).
    pending = reg.ok("GET", f"/associations/datasets?dataset_id={made['joined']}", hospital)["items"][0]
    assert pending["approval_status"] == "PENDING" and pending["policy_version"] == 2
    reg.ok("POST", f"/associations/datasets/{pending['id']}/approve", hospital)
    made["offered"] = reg.dataset(hospital, other_bench, statistics=stats)["id"]
    offer(hospital, made["offered"])
    made["rejected"] = reg.dataset(hospital, other_bench, statistics=stats)["id"]
    reg.ok("POST", f"/associations/datasets/{offer(hospital, made['rejected'])['id']}/reject", hospital)
    made["unrelated"] = reg.dataset(hospital, other_bench, statistics=stats)["id"]
    made["prepared_for_b"] = reg.dataset(hospital, bench, statistics=stats)["id"]
    return caller, made


def _observe(reg: Registry, caller: str, endpoint: str, made: dict[str, int], dataset_id: int) -> int:
    bench = made["bench"]
    if endpoint == "GET /datasets/{id}":
        return reg.call("GET", f"/datasets/{dataset_id}", caller).status_code
    if endpoint == "LIST /datasets":
        items = reg.ok("GET", "/datasets?limit=500", caller)["items"]
        return sum(1 for item in items if item["id"] == dataset_id)
    if endpoint == "PATCH /datasets/{id}":
        return reg.call("PATCH", f"/datasets/{dataset_id}", caller, {"name": "renamed"}).status_code
    if endpoint == "POST /associations/datasets":
        body = {"benchmark_id": bench, "dataset_id": dataset_id}
        return reg.call("POST", "/associations/datasets", caller, body).status_code
    body = {"benchmark_id": bench, "dataset_id": dataset_id, "expires_at": "2999-01-01T00:00:00Z"}
    return reg.call("POST", "/consents", caller, body).status_code


def test_role_endpoint_object_owner_matrix(registry: Registry) -> None:
    """Each (endpoint, relation of the dataset to the caller's benchmark) gets exactly the listed answer."""
    caller, made = _relations(registry)
    before = registry.ok("GET", "/audit", registry.admin)["count"]
    mismatches = []
    for line in MATRIX.strip().splitlines():
        method, path, *expected = line.split()
        endpoint = f"{method} {path}"
        for relation, want in zip(RELATIONS, expected, strict=True):
            got = _observe(registry, caller, endpoint, made, made[relation])
            if str(got) != want:
                mismatches.append(f"{endpoint} on {relation}: {got} (expected {want})")
    assert mismatches == []
    for entry in registry.ok("GET", f"/audit?offset={before}", registry.admin)["items"]:
        touched = entry["entity_id"] if entry["entity"] == "dataset" else entry["after"]["dataset_id"]
        assert entry["entity"] in ("dataset", "standing_consent") and touched == made["own"], entry


def test_a_benchmark_owner_cannot_ask_for_or_read_a_dataset_it_does_not_own(registry: Registry) -> None:
    """The finding: the request was 201 and GET /datasets/ID then showed statistics, hashes and site."""
    _, bench_owner = registry.user("bench")
    _, hospital = registry.user("hospital")
    bench = registry.benchmark(bench_owner)
    dataset = registry.dataset(hospital, registry.benchmark(registry.user("x")[1]), statistics={"num_cases": 10})
    body = {"benchmark_id": bench["id"], "dataset_id": dataset["id"]}
    assert registry.ok("POST", "/associations/datasets", bench_owner, body, 404) == {
        "detail": f"dataset_id {dataset['id']} not found"
    }
    registry.ok("GET", f"/datasets/{dataset['id']}", bench_owner, status=404)
    assert registry.ok("GET", "/associations/datasets?latest_only=false", registry.admin)["count"] == 0
    # The hospital offers it, then takes it back: visible while offered, hidden after the rejection.
    request = registry.ok("POST", "/associations/datasets", hospital, body, 201)
    assert registry.ok("GET", f"/datasets/{dataset['id']}", bench_owner)["statistics"] == {"num_cases": 10}
    registry.ok("POST", f"/associations/datasets/{request['id']}/reject", hospital)
    registry.ok("GET", f"/datasets/{dataset['id']}", bench_owner, status=404)
    assert registry.ok("GET", f"/datasets?benchmark_id={bench['id']}", bench_owner)["count"] == 0


def test_unknown_and_forbidden_dataset_ids_answer_alike(registry: Registry) -> None:
    """Status and body are the same for an id that exists (not offered to the caller) and one that does not."""
    world = build_world(registry)
    _, hospital = registry.user("hospital")
    bench = registry.ok("GET", f"/benchmarks/{world.ids['benchmark']}", registry.admin)
    hidden = registry.dataset(hospital, bench)["id"]
    unknown = hidden + 1000
    w = world.ids

    def calls(dataset_id: int) -> list[tuple[str, str, Any]]:
        return [
            ("GET", f"/datasets/{dataset_id}", None),
            ("PATCH", f"/datasets/{dataset_id}", {"name": "x"}),
            ("POST", "/associations/datasets", {"benchmark_id": w["benchmark"], "dataset_id": dataset_id}),
            ("POST", "/results", {"benchmark_id": w["benchmark"], "model_id": w["model"], "dataset_id": dataset_id}),
            (
                "POST",
                "/consents",
                {"benchmark_id": w["benchmark"], "dataset_id": dataset_id, "expires_at": "2999-01-01T00:00:00Z"},
            ),
            (
                "GET",
                f"/consents/check?benchmark_id={w['benchmark']}&dataset_id={dataset_id}&model_id={w['model']}",
                None,
            ),
            ("GET", f"/results?dataset_id={dataset_id}", None),
            ("GET", f"/associations/datasets?dataset_id={dataset_id}", None),
            ("GET", f"/consents?dataset_id={dataset_id}", None),
        ]

    for role in ("bench_owner", "model_owner", "stranger"):
        token = world.tokens[role]
        for (method, path, body), (_, unknown_path, unknown_body) in zip(calls(hidden), calls(unknown), strict=True):
            seen = registry.call(method, path, token, body)
            absent = registry.call(method, unknown_path, token, unknown_body)
            assert seen.status_code == absent.status_code, (role, method, path, seen.text, absent.text)
            assert seen.status_code in (200, 404), (role, method, path, seen.text)
            assert seen.text.replace(str(hidden), "ID") == absent.text.replace(str(unknown), "ID"), (role, path)
