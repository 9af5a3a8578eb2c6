"""Which requests the client repeats after a transient failure, and how long it waits (a mocked transport)."""

from collections.abc import Callable

import httpx
import pytest

from medperf.client import ApiError, RegistryClient, RetryPolicy, ServerUnavailable
from medperf.schemas import ResultCreate

USER = {"id": 1, "email": "a@b.c", "name": "A", "is_admin": False, "created_at": "2026-01-01T00:00:00Z"}
RESULT = {
    "id": 7, "benchmark_id": 1, "model_id": 2, "dataset_id": 3, "owner_id": 1, "status": "PENDING",
    "metrics": None, "partial": False, "model_container_id": None, "evaluator_container_id": None,
    "created_at": "2026-01-01T00:00:00Z", "finalized_at": None,
}  # fmt: skip


def flaky(failures: int, body: dict[str, object], calls: list[str]) -> Callable[[httpx.Request], httpx.Response]:
    """A handler answering 503 `failures` times, then 200 with `body`; it records each request."""

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        if len(calls) <= failures:
            return httpx.Response(503, json={"detail": "database restarting"})
        return httpx.Response(200, json=body)

    return handle


def client_with(handler: Callable[[httpx.Request], httpx.Response], waits: list[float]) -> RegistryClient:
    policy = RetryPolicy(attempts=4, backoff_s=0.5, max_backoff_s=1.5, sleep=waits.append)
    return RegistryClient("http://registry.test", "t", transport=httpx.MockTransport(handler), retry=policy)


def test_get_is_retried_with_exponential_backoff() -> None:
    calls: list[str] = []
    waits: list[float] = []
    client = client_with(flaky(3, USER, calls), waits)
    assert client.users.me().email == "a@b.c"
    assert calls == ["GET /api/v1/users/me"] * 4
    assert waits == [0.5, 1.0, 1.5]


def test_post_with_client_key_is_retried() -> None:
    calls: list[str] = []
    client = client_with(flaky(1, RESULT, calls), [])
    created = client.results.create(ResultCreate(benchmark_id=1, model_id=2, dataset_id=3, client_key="run-1"))
    assert created.id == 7 and calls == ["POST /api/v1/results"] * 2


def test_post_without_client_key_is_sent_once() -> None:
    calls: list[str] = []
    client = client_with(flaky(1, RESULT, calls), [])
    with pytest.raises(ServerUnavailable) as err:
        client.results.create(ResultCreate(benchmark_id=1, model_id=2, dataset_id=3))
    assert calls == ["POST /api/v1/results"] and "http://registry.test" in str(err.value)


def test_client_errors_are_not_retried() -> None:
    calls: list[str] = []

    def conflict(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return httpx.Response(409, json={"detail": "benchmark 3 is already APPROVED"})

    with pytest.raises(ApiError) as err:
        client_with(conflict, []).benchmarks.get(3)
    assert calls == ["GET"] and str(err.value) == "benchmark 3 is already APPROVED"


def test_connection_failures_exhaust_the_attempts_then_name_the_url() -> None:
    waits: list[float] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(ServerUnavailable) as err:
        client_with(refuse, waits).users.me()
    assert len(waits) == 3
    assert "http://registry.test" in str(err.value) and "connection refused" in str(err.value)
