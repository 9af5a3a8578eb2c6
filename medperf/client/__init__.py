"""Typed client of the MedPerf registry: `RegistryClient(url, token).datasets.list(...)`."""

from medperf.client.associations import ASSOCIATION_KINDS, AssociationKind
from medperf.client.errors import (
    ApiError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    ServerUnavailable,
    Unauthorized,
)
from medperf.client.health import wait_until_healthy
from medperf.client.paging import iter_all
from medperf.client.registry import RegistryClient
from medperf.client.retry import NO_RETRY, RetryPolicy

__all__ = [
    "ASSOCIATION_KINDS",
    "NO_RETRY",
    "ApiError",
    "AssociationKind",
    "Conflict",
    "Forbidden",
    "InvalidRequest",
    "NotFound",
    "RegistryClient",
    "RetryPolicy",
    "ServerUnavailable",
    "Unauthorized",
    "iter_all",
    "wait_until_healthy",
]
