"""A real registry (`medperf server start` on SQLite) for the client tests, its admin, and user factories."""

import itertools
from collections.abc import Callable, Iterator

import pytest

from medperf.cli.local_server import LocalRegistry
from medperf.client import RegistryClient
from medperf.schemas import UserCreate
from medperf.server.admin import create_admin


@pytest.fixture(scope="session")
def admin_token(registry: LocalRegistry) -> str:
    """The token of the first admin, created on the server machine."""
    return create_admin(registry.settings, "admin@example.org", "Admin")


@pytest.fixture
def admin(registry: LocalRegistry, admin_token: str) -> Iterator[RegistryClient]:
    """A client holding the admin's token."""
    with RegistryClient(registry.url, admin_token) as client:
        yield client


_emails = itertools.count()


@pytest.fixture
def new_user(registry: LocalRegistry, admin: RegistryClient) -> Iterator[Callable[[str], RegistryClient]]:
    """Create a fresh user (unique email) with a token and return a client acting as that user."""
    clients: list[RegistryClient] = []

    def make(role: str) -> RegistryClient:
        user = admin.users.create(UserCreate(email=f"{role}{next(_emails)}@client-tests.example", name=role))
        client = RegistryClient(registry.url, admin.tokens.create(user.id).token)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
