"""Tests of the local-folder object store and the verified site cache."""

import hashlib
from pathlib import Path

import pytest

from medperf.errors import ConfigError, HashMismatch
from medperf.settings import ObjectStoreSettings
from medperf.storage import make_store
from medperf.storage.local_folder import LocalFolderStore, file_url_path


@pytest.fixture
def store(tmp_path: Path) -> LocalFolderStore:
    built = make_store(ObjectStoreSettings(kind="local", root=tmp_path / "store", cache_dir=tmp_path / "cache"))
    assert isinstance(built, LocalFolderStore)
    return built


def test_put_and_fetch_round_trip_by_content_address(store: LocalFolderStore, tmp_path: Path) -> None:
    source = tmp_path / "weights.bin"
    source.write_bytes(b"w" * 5000)
    stored = store.put_file(source)
    assert stored.sha256 == hashlib.sha256(b"w" * 5000).hexdigest()
    assert stored.url.startswith("file://") and stored.url.endswith(f"sha256/{stored.sha256}")
    fetched = store.fetch(stored.url, stored.sha256)
    assert fetched.read_bytes() == b"w" * 5000
    assert fetched.is_relative_to(tmp_path / "cache")


def test_same_bytes_are_stored_once(store: LocalFolderStore) -> None:
    assert store.put_bytes(b"abc") == store.put_bytes(b"abc")


def test_tampered_object_is_refused(store: LocalFolderStore) -> None:
    stored = store.put_bytes(b"genuine")
    file_url_path(stored.url).write_bytes(b"evil")
    with pytest.raises(HashMismatch, match="tampered"):
        store.fetch(stored.url, stored.sha256)


def test_tampered_cache_entry_is_fetched_again(store: LocalFolderStore) -> None:
    stored = store.put_bytes(b"genuine")
    cached = store.fetch(stored.url, stored.sha256)
    cached.chmod(0o644)
    cached.write_bytes(b"evil")
    assert store.fetch(stored.url, stored.sha256).read_bytes() == b"genuine"


def test_wrong_expected_hash_is_refused(store: LocalFolderStore) -> None:
    stored = store.put_bytes(b"genuine")
    with pytest.raises(HashMismatch):
        store.fetch(stored.url, hashlib.sha256(b"other").hexdigest())


def test_malformed_hash_and_foreign_url_are_config_errors(store: LocalFolderStore) -> None:
    stored = store.put_bytes(b"x")
    with pytest.raises(ConfigError, match="64 hex"):
        store.fetch(stored.url, "abc")
    with pytest.raises(ConfigError, match="MEDPERF_STORE_KIND"):
        store.fetch("s3://bucket/sha256/" + stored.sha256, stored.sha256)
