"""The HTTP layer of the registry client: JSON requests, bearer auth, retries and typed errors."""

import functools
import ssl
from typing import Any

import httpx

from medperf.client.errors import ServerUnavailable, error_for_status
from medperf.client.retry import REGISTRY_REQUESTS, RetryPolicy, is_idempotent
from medperf.retry_policy import is_transient, is_transient_response

API_PREFIX = "/api/v1"
QueryValue = str | int | float | bool


def query(**params: object) -> dict[str, QueryValue]:
    """Query parameters without the unset (None) ones; enums become their value."""
    out: dict[str, QueryValue] = {}
    for key, value in params.items():
        if value is None:
            continue
        raw = getattr(value, "value", value)
        if not isinstance(raw, str | int | float | bool):
            raise TypeError(f"query parameter {key} has unsupported type {type(value).__name__}")
        out[key] = raw
    return out


def detail_of(response: httpx.Response) -> str:
    """The server's one-line `detail`, or a short description of an unexpected error body."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip().splitlines()
        return text[0][:300] if text else f"HTTP {response.status_code} {response.reason_phrase}"
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list) and detail:
        return "; ".join(_validation_item(item) for item in detail)
    return f"HTTP {response.status_code} {response.reason_phrase}"


def _validation_item(item: object) -> str:
    if not isinstance(item, dict):
        return str(item)
    loc = [str(part) for part in item.get("loc", []) if part not in ("body", "query", "path")]
    where = ".".join(loc)
    msg = str(item.get("msg", "invalid"))
    return f"{where}: {msg}" if where else msg


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every registry client of this process (loading the CA bundle takes ~0.2 s)."""
    return httpx.create_ssl_context()


class RegistryHttp:
    """Sends JSON to the registry and returns the decoded JSON body, or raises a typed error."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.retry = retry or REGISTRY_REQUESTS
        self._client = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport, verify=_tls_context()
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def get(self, path: str, params: dict[str, QueryValue] | None = None) -> Any:
        """GET an API path (under /api/v1)."""
        return self.request("GET", API_PREFIX + path, params=params)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """POST JSON to an API path."""
        return self.request("POST", API_PREFIX + path, body=body)

    def put(self, path: str, body: dict[str, Any]) -> Any:
        """PUT JSON to an API path."""
        return self.request("PUT", API_PREFIX + path, body=body)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        """PATCH JSON to an API path."""
        return self.request("PATCH", API_PREFIX + path, body=body)

    def delete(self, path: str) -> Any:
        """DELETE an API path."""
        return self.request("DELETE", API_PREFIX + path)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, QueryValue] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        """Send one request (repeated with backoff when it is idempotent) and decode the answer."""
        attempts = self.retry.attempts if is_idempotent(method, body) else 1
        url = f"{self.base_url}{path}"
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            try:
                response = self._client.request(method, path, params=params, json=body)
            except httpx.TransportError as exc:
                if last or not is_transient(exc):
                    raise ServerUnavailable(url, _describe(exc)) from exc
            else:
                transient = is_transient_response(response.status_code, response.text[:2000])
                if transient and not last:
                    pass
                elif transient:
                    raise ServerUnavailable(url, f"HTTP {response.status_code} {response.reason_phrase}")
                elif response.is_error:
                    raise error_for_status(response.status_code, detail_of(response), method=method, path=path)
                else:
                    return response.json() if response.content else None
            self.retry.sleep(self.retry.delay_after(attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")


def _describe(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused" if "refused" in str(exc).lower() else f"cannot connect: {exc}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
