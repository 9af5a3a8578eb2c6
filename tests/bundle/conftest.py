"""A real registry (SQLite) with an admin, a benchmark owner and a model owner, and a local-folder store."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from medperf.cli.local_server import LocalRegistry
from medperf.client import RegistryClient
from medperf.schemas import UserCreate
from medperf.server.admin import create_admin
from medperf.storage import ObjectStore
from medperf.storage.local_folder import LocalFolderStore

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "breast_cancer"


@dataclass
class Committee:
    """Clients of the three identities a folder registration involves."""

    admin: RegistryClient
    owner: RegistryClient
    modeller: RegistryClient
    tokens: dict[str, str]


@pytest.fixture
def committee(registry: LocalRegistry) -> Iterator[Committee]:
    """Fresh users per test (unique emails), so tests do not see each other's registrations."""
    import uuid

    token = create_admin(registry.settings, f"admin-{uuid.uuid4().hex[:8]}@example.org", "Admin")
    admin = RegistryClient(registry.url, token)

    tokens: dict[str, str] = {}

    def user(role: str) -> RegistryClient:
        created = admin.users.create(UserCreate(email=f"{role}-{uuid.uuid4().hex[:8]}@example.org", name=role))
        tokens[role] = admin.tokens.create(created.id).token
        return RegistryClient(registry.url, tokens[role])

    people = Committee(admin, user("owner"), user("modeller"), tokens)
    yield people
    for client in (people.admin, people.owner, people.modeller):
        client.close()


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    """A local-folder object store."""
    return LocalFolderStore(tmp_path / "store", tmp_path / "cache")
