"""Prefect clients of one process share one verifying TLS context per CA file (medperf.prefect_tls)."""

import os
import ssl
from pathlib import Path

import certifi
import pytest
from prefect.client.orchestration import PrefectClient, SyncPrefectClient

from medperf.prefect_tls import SharedVerifyingContexts, share_prefect_tls_contexts


def _verify(client: PrefectClient | SyncPrefectClient) -> ssl.SSLContext:
    pool = client._client._transport._pool  # type: ignore[union-attr]
    return pool._ssl_context  # type: ignore[no-any-return]


def test_clients_share_one_context_and_it_still_verifies() -> None:
    shared = share_prefect_tls_contexts()
    assert share_prefect_tls_contexts() is shared  # idempotent
    loads = shared.loads
    clients = [PrefectClient("https://127.0.0.1:1/api"), SyncPrefectClient("https://127.0.0.1:1/api"),
               PrefectClient("https://127.0.0.1:1/api")]  # fmt: skip
    contexts = {id(_verify(client)) for client in clients}
    assert len(contexts) == 1
    assert shared.loads - loads <= 1  # at most the first load, if no client of this process made it before
    context = _verify(clients[0])
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0


def test_a_changed_ca_file_is_loaded_again(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    shared = SharedVerifyingContexts()
    first = shared.create_default_context(cafile=str(bundle))
    assert shared.create_default_context(cafile=str(bundle)) is first
    os.utime(bundle, ns=(1, 1))
    assert shared.create_default_context(cafile=str(bundle)) is not first
    assert shared.loads == 2


def test_contexts_without_a_ca_file_are_never_shared() -> None:
    """Prefect's insecure path takes a context without a CA file and turns verification off on it."""
    shared = SharedVerifyingContexts()
    insecure = shared.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    again = shared.create_default_context()
    assert again is not insecure and again.verify_mode == ssl.CERT_REQUIRED
    assert shared.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=certifi.where()) is not \
        shared.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=certifi.where())  # fmt: skip
    assert shared.loads == 0


def test_the_module_stands_in_for_ssl_everywhere_else() -> None:
    assert SharedVerifyingContexts().CERT_NONE is ssl.CERT_NONE
    with pytest.raises(AttributeError):
        SharedVerifyingContexts().no_such_name  # noqa: B018


def test_the_preloaded_context_is_the_one_prefect_clients_then_use(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:  # fmt: skip
    """A fork server loads Prefect's CA file once; the clients of its runs reuse exactly that context."""
    from prefect.settings import PREFECT_API_SSL_CERT_FILE, temporary_settings

    from medperf.prefect_tls import load_prefect_tls_context

    bundle = tmp_path / "site-ca.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    with temporary_settings({PREFECT_API_SSL_CERT_FILE: str(bundle)}):
        loads = share_prefect_tls_contexts().loads
        preloaded = load_prefect_tls_context()
        assert share_prefect_tls_contexts().loads == loads + 1  # this CA file was new: loaded once, here
        assert _verify(PrefectClient("https://127.0.0.1:1/api")) is preloaded
        assert share_prefect_tls_contexts().loads == loads + 1
