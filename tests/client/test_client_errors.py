"""Each error status of the real registry becomes its typed error carrying the server's one-line detail."""

import socket
from collections.abc import Callable

import pytest

from medperf.cli.local_server import LocalRegistry
from medperf.client import (
    NO_RETRY,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    RegistryClient,
    ServerUnavailable,
    Unauthorized,
)
from medperf.errors import MedPerfError
from medperf.schemas import UserCreate

from . import registry_entities as make

NewUser = Callable[[str], RegistryClient]


def test_unknown_token_is_unauthorized(registry: LocalRegistry) -> None:
    with RegistryClient(registry.url, "not-a-real-token") as client, pytest.raises(Unauthorized) as err:
        client.users.me()
    assert err.value.status_code == 401
    assert str(err.value) == err.value.detail and err.value.detail


def test_non_admin_creating_a_user_is_forbidden(new_user: NewUser) -> None:
    user = new_user("plain")
    with pytest.raises(Forbidden) as err:
        user.users.create(UserCreate(email="someone@site.example", name="Someone"))
    assert err.value.status_code == 403 and "admin" in str(err.value).lower()


def test_unknown_id_is_not_found(admin: RegistryClient) -> None:
    with pytest.raises(NotFound) as err:
        admin.benchmarks.get(987654)
    assert err.value.status_code == 404 and "987654" in str(err.value)


def test_approving_twice_is_a_conflict(admin: RegistryClient, new_user: NewUser) -> None:
    setup = make.approved_benchmark(new_user("committee"), admin)
    with pytest.raises(Conflict) as err:
        admin.benchmarks.approve(setup.benchmark.id)
    assert err.value.status_code == 409 and err.value.detail


def test_invalid_payload_names_the_field(new_user: NewUser) -> None:
    owner = new_user("sloppy")
    bad = {"name": "prep", "config": {"tasks": {}}, "image": "medperf/prep:1.0"}
    with pytest.raises(InvalidRequest) as err:
        owner.http.post("/containers", bad)
    assert err.value.status_code == 422 and "config" in str(err.value)
    assert isinstance(err.value, MedPerfError)


def test_unreachable_server_names_the_url_and_the_next_step() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with (
        RegistryClient(url, "token", retry=NO_RETRY, timeout=2) as client,
        pytest.raises(ServerUnavailable) as err,
    ):
        client.users.me()
    message = str(err.value)
    assert url in message and "medperf auth status" in message and "\n" not in message
