"""Finding 5: check-then-insert races. Many clients at once against a real uvicorn server, on SQLite and Postgres.

Each race starts N requests behind a barrier and asserts: no 5xx, exactly the allowed number of successes,
the rest 409, and the database holds no duplicate.
"""

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from server_world import Registry, build_world, dataset_for_benchmark, sha

CLIENTS = 10


@pytest.fixture
def live(live_registry: tuple[str, str]) -> Any:
    """A Registry helper talking HTTP to the live server."""
    url, token = live_registry
    client = httpx.Client(base_url=url, timeout=60)
    yield Registry(client, token)  # type: ignore[arg-type]
    client.close()


def _race(url: str, calls: list[Callable[[httpx.Client], httpx.Response]]) -> list[httpx.Response]:
    """Run the calls at once (one thread and one connection each) and return their responses."""
    barrier = threading.Barrier(len(calls))
    responses: list[httpx.Response | None] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            client.get("/health")  # connect before the barrier, so the requests really overlap
            barrier.wait()
            try:
                responses[index] = calls[index](client)
            except BaseException as err:  # noqa: BLE001 - reported below
                errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not errors, errors
    done = [r for r in responses if r is not None]
    assert len(done) == len(calls)
    server_errors = [(r.status_code, r.text) for r in done if r.status_code >= 500]
    assert server_errors == []
    return done


def _post(token: str, path: str, body: Any = None) -> Callable[[httpx.Client], httpx.Response]:
    return lambda client: client.post(f"/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}"})


def _statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def _url(reg: Registry) -> str:
    return str(reg.client.base_url)  # type: ignore[attr-defined]


def test_concurrent_benchmark_registrations_by_one_user_leave_one_pending(live: Registry) -> None:
    owner_id, owner = live.user("owner")
    bodies = [
        {
            "name": f"race-{i}",
            "data_preparation_container_id": live.container(owner),
            "reference_model_id": live.model(owner),
            "evaluator_container_id": live.container(owner),
        }
        for i in range(CLIENTS)
    ]
    responses = _race(_url(live), [_post(owner, "/benchmarks", body) for body in bodies])
    assert _statuses(responses) == Counter({201: 1, 409: CLIENTS - 1})
    listing = live.ok("GET", f"/benchmarks?owner_id={owner_id}&approval_status=PENDING", owner)
    assert listing["count"] == 1


def test_concurrent_requests_for_one_dataset_pair_leave_one_row(live: Registry) -> None:
    bench_owner, hospital, bench, dataset = dataset_for_benchmark(live, "hospital")
    body = {"benchmark_id": bench["id"], "dataset_id": dataset["id"]}
    responses = _race(_url(live), [_post(hospital, "/associations/datasets", body) for _ in range(CLIENTS)])
    assert _statuses(responses) == Counter({201: 1, 409: CLIENTS - 1})
    rows = live.ok("GET", f"/associations/datasets?benchmark_id={bench['id']}&latest_only=false", live.admin)
    assert rows["count"] == 1


def test_concurrent_auto_approved_model_requests_leave_one_row(live: Registry) -> None:
    _, bench_owner = live.user("bench")
    _, vendor = live.user("vendor")
    bench = live.benchmark(bench_owner)
    live.ok("PUT", f"/benchmarks/{bench['id']}/policy", bench_owner, {"auto_approval_mode": "ALWAYS"})
    model = live.model(vendor)
    body = {"benchmark_id": bench["id"], "model_id": model}
    responses = _race(_url(live), [_post(vendor, "/associations/models", body) for _ in range(CLIENTS)])
    assert _statuses(responses) == Counter({201: 1, 409: CLIENTS - 1})
    rows = live.ok("GET", f"/associations/models?model_id={model}&latest_only=false", live.admin)
    assert rows["count"] == 1 and rows["items"][0]["approval_status"] == "APPROVED"


def test_concurrent_decisions_on_one_request_decide_it_once(live: Registry) -> None:
    bench_owner, hospital, bench, dataset = dataset_for_benchmark(live, "hospital")
    body = {"benchmark_id": bench["id"], "dataset_id": dataset["id"]}
    request = live.ok("POST", "/associations/datasets", hospital, body, 201)
    base = f"/associations/datasets/{request['id']}"
    calls = [
        _post(bench_owner, f"{base}/approve") if i % 2 else _post(hospital if i % 4 else bench_owner, f"{base}/reject")
        for i in range(CLIENTS)
    ]
    responses = _race(_url(live), calls)
    assert _statuses(responses) == Counter({200: 1, 409: CLIENTS - 1})
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert live.ok("GET", f"/associations/datasets?dataset_id={dataset['id']}", hospital)["items"][0] == winner
    audited = live.ok("GET", f"/audit?entity=dataset_association&entity_id={request['id']}", live.admin)
    decision = "approve" if winner["approval_status"] == "APPROVED" else "reject"
    assert [e["action"] for e in audited["items"]] == ["request", decision]


def test_concurrent_admin_decisions_on_one_benchmark_decide_it_once(live: Registry) -> None:
    _, owner = live.user("owner")
    bench = live.benchmark(owner, approve=False)
    calls = [_post(live.admin, f"/benchmarks/{bench['id']}/{'approve' if i % 2 else 'reject'}") for i in range(CLIENTS)]
    responses = _race(_url(live), calls)
    assert _statuses(responses) == Counter({200: 1, 409: CLIENTS - 1})


def test_concurrent_finalizations_of_one_result_keep_the_first(live: Registry) -> None:
    world = build_world(live)
    data_owner, result = str(world.tokens["data_owner"]), world.ids["result"]
    calls = [
        _post(data_owner, f"/results/{result}/finalize", {"metrics": {"auc": round(0.5 + i / 100, 2)}})
        for i in range(CLIENTS)
    ]
    responses = _race(_url(live), calls)
    assert _statuses(responses) == Counter({200: 1, 409: CLIENTS - 1})
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert live.ok("GET", f"/results/{result}", data_owner)["metrics"] == winner["metrics"]


def test_concurrent_revocations_of_one_consent_revoke_it_once(live: Registry) -> None:
    world = build_world(live)
    data_owner, consent = str(world.tokens["data_owner"]), world.ids["consent"]
    revoke: Callable[[httpx.Client], httpx.Response] = lambda client: client.delete(  # noqa: E731
        f"/api/v1/consents/{consent}", headers={"Authorization": f"Bearer {data_owner}"}
    )
    responses = _race(_url(live), [revoke] * CLIENTS)
    assert _statuses(responses) == Counter({200: 1, 409: CLIENTS - 1})
    audited = live.ok("GET", f"/audit?entity=standing_consent&entity_id={consent}", live.admin)
    assert [e["action"] for e in audited["items"]] == ["grant", "revoke"]


def test_concurrent_twins_entering_operation_leave_one(live: Registry) -> None:
    _, bench_owner = live.user("bench")
    _, hospital = live.user("hospital")
    bench = live.benchmark(bench_owner)
    twins = [live.dataset(hospital, bench, prepared_data_hash=sha("same")) for _ in range(CLIENTS)]
    calls = [
        (
            lambda d: (
                lambda client: client.patch(
                    f"/api/v1/datasets/{d['id']}",
                    json={"state": "OPERATION"},
                    headers={"Authorization": f"Bearer {hospital}"},
                )
            )
        )(twin)
        for twin in twins
    ]
    responses = _race(_url(live), calls)
    assert _statuses(responses) == Counter({200: 1, 409: CLIENTS - 1})
    assert live.ok("GET", "/datasets?state=OPERATION", hospital)["count"] == 1
