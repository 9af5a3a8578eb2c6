"""RegistryClient: the typed client of the MedPerf registry REST API (docs/API.md)."""

from types import TracebackType

import httpx

from medperf.client.associations import AssociationsApi
from medperf.client.audit import AuditApi
from medperf.client.benchmarks import BenchmarksApi
from medperf.client.consents import ConsentsApi
from medperf.client.containers import ContainersApi, ModelsApi
from medperf.client.datasets import DatasetsApi
from medperf.client.errors import ServerUnavailable
from medperf.client.http import RegistryHttp
from medperf.client.results import ResultsApi
from medperf.client.retry import RetryPolicy
from medperf.client.users import TokensApi, UsersApi


class RegistryClient:
    """One resource group per attribute: `client.datasets.list(...)`, `client.results.create(...)`."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.http = RegistryHttp(base_url, token, timeout=timeout, transport=transport, retry=retry)
        self.base_url = self.http.base_url
        self.users = UsersApi(self.http)
        self.tokens = TokensApi(self.http)
        self.containers = ContainersApi(self.http)
        self.models = ModelsApi(self.http)
        self.benchmarks = BenchmarksApi(self.http)
        self.datasets = DatasetsApi(self.http)
        self.associations = AssociationsApi(self.http)
        self.results = ResultsApi(self.http)
        self.consents = ConsentsApi(self.http)
        self.audit = AuditApi(self.http)

    def health(self) -> bool:
        """True when the server answers /health with status ok; ServerUnavailable when unreachable."""
        body = self.http.request("GET", "/health")
        return isinstance(body, dict) and body.get("status") == "ok"

    def is_reachable(self) -> bool:
        """Like health(), but False instead of raising when the server cannot be reached."""
        try:
            return self.health()
        except ServerUnavailable:
            return False

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def __enter__(self) -> "RegistryClient":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
