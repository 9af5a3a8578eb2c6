"""The one retry policy: which failures of Prefect and of the registry are transient, backoff and deadline."""

from collections.abc import Callable

import httpx
import pytest
from prefect.deployments.runner import DeploymentApplyError
from prefect.exceptions import PrefectHTTPStatusError

from medperf.client import RegistryClient, ServerUnavailable
from medperf.retry_policy import RetryPolicy, is_transient


def _status_error(status: int, body: str = "", prefect: bool = False) -> httpx.HTTPStatusError:
    request = httpx.Request("POST", "http://prefect.test/api/deployments/1/create_flow_run")
    response = httpx.Response(status, text=body, request=request)
    cls = PrefectHTTPStatusError if prefect else httpx.HTTPStatusError
    return cls(f"Server error '{status}'", request=request, response=response)


def _wrapped(cause: BaseException) -> DeploymentApplyError:
    try:
        raise DeploymentApplyError("Service Unavailable") from cause
    except DeploymentApplyError as err:
        return err


REQUEST = httpx.Request("GET", "http://x.test/")


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (httpx.ReadTimeout("timed out", request=REQUEST), True),
        (httpx.ConnectError("[Errno 111] Connection refused", request=REQUEST), True),
        (httpx.RemoteProtocolError("peer closed connection", request=REQUEST), True),
        (_status_error(503), True),
        (_status_error(502), True),
        (_status_error(504), True),
        (_status_error(503, prefect=True), True),
        (_status_error(500, "sqlite3.OperationalError: database is locked"), True),
        (_wrapped(_status_error(503, prefect=True)), True),
        (ServerUnavailable("http://registry.test", "timed out"), True),
        (_status_error(500, "Internal Server Error"), False),
        (_status_error(404, prefect=True), False),
        (_status_error(409), False),
        (httpx.UnsupportedProtocol("ftp://", request=REQUEST), False),
        (_wrapped(_status_error(422, prefect=True)), False),
        (ValueError("bad input"), False),
    ],
)
def test_which_failures_are_transient(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient


class FakeClock:
    """A clock that moves only when the policy sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def _policy(clock: FakeClock, **options: float) -> RetryPolicy:
    return RetryPolicy(sleep=clock.sleep, clock=lambda: clock.now, **options)  # type: ignore[arg-type]


def _failing(times: int, error: Callable[[], BaseException]) -> Callable[[], str]:
    calls = {"n": 0}

    def call() -> str:
        calls["n"] += 1
        if calls["n"] <= times:
            raise error()
        return f"ok after {calls['n']}"

    return call


def test_transient_failures_are_retried_with_exponential_backoff() -> None:
    clock = FakeClock()
    policy = _policy(clock, attempts=10, backoff_s=0.25, max_backoff_s=1.0)
    assert policy.call(_failing(4, lambda: _status_error(503, prefect=True))) == "ok after 5"
    assert clock.waits == [0.25, 0.5, 1.0, 1.0]


def test_a_permanent_failure_is_raised_at_once() -> None:
    clock = FakeClock()
    with pytest.raises(httpx.HTTPStatusError):
        _policy(clock, attempts=10).call(_failing(1, lambda: _status_error(500)))
    assert clock.waits == []


def test_the_deadline_stops_retrying_and_raises_the_last_error() -> None:
    clock = FakeClock()
    policy = _policy(clock, attempts=1000, backoff_s=1.0, max_backoff_s=4.0, deadline_s=10.0)
    with pytest.raises(httpx.ReadTimeout):
        policy.call(_failing(10_000, lambda: httpx.ReadTimeout("timed out", request=REQUEST)))
    assert sum(clock.waits) <= 10.0 and clock.waits == [1.0, 2.0, 4.0]


def test_the_registry_client_retries_a_locked_sqlite_answer_and_a_timeout() -> None:
    answers: list[Callable[[httpx.Request], httpx.Response]] = [
        lambda request: httpx.Response(500, text="sqlite3.OperationalError: database is locked"),
        lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("timed out", request=request)),
        lambda request: httpx.Response(503, json={"detail": "restarting"}),
        lambda request: httpx.Response(
            200, json={"id": 1, "email": "a@b.c", "name": "A", "is_admin": False,
                       "created_at": "2026-01-01T00:00:00Z"},
        ),
    ]  # fmt: skip
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return answers[len(seen) - 1](request)

    waits: list[float] = []
    client = RegistryClient("http://registry.test", "t", transport=httpx.MockTransport(handle),
                            retry=RetryPolicy(attempts=4, backoff_s=0.1, sleep=waits.append))
    assert client.users.me().email == "a@b.c"
    assert len(seen) == 4 and waits == [0.1, 0.2, 0.4]


def test_the_registry_client_does_not_retry_a_plain_server_error() -> None:
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(500, json={"detail": "bug"})

    client = RegistryClient("http://registry.test", "t", transport=httpx.MockTransport(handle),
                            retry=RetryPolicy(attempts=4, backoff_s=0.1, sleep=lambda _: None))
    with pytest.raises(Exception, match="bug"):
        client.users.me()
    assert len(seen) == 1
