"""Tests of the S3 object store against a real SeaweedFS server."""

import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from medperf.errors import HashMismatch
from medperf.storage.s3 import S3Store, parse_s3_url

pytestmark = pytest.mark.s3


def test_put_file_and_fetch_round_trip(s3_store: S3Store, tmp_path: Path) -> None:
    source = tmp_path / "archive.tar"
    payload = bytes(range(256)) * 4096
    source.write_bytes(payload)
    stored = s3_store.put_file(source)
    assert stored.url == f"s3://{s3_store.bucket}/sha256/{hashlib.sha256(payload).hexdigest()}"
    fetched = s3_store.fetch(stored.url, stored.sha256)
    assert fetched.read_bytes() == payload
    assert fetched.is_relative_to(tmp_path / "cache")


def test_tampered_object_is_refused_and_not_cached(s3_store: S3Store) -> None:
    stored = s3_store.put_bytes(b"genuine results")
    bucket, key = parse_s3_url(stored.url)
    evil = b"evil results!!!"
    s3_store.client.put_object(bucket, key, io.BytesIO(evil), len(evil))
    with pytest.raises(HashMismatch, match=stored.sha256):
        s3_store.fetch(stored.url, stored.sha256)
    assert not any(s3_store.cache.root.glob(stored.sha256))


def test_fetch_is_served_from_the_cache(s3_store: S3Store) -> None:
    stored = s3_store.put_bytes(b"cached bytes")
    first = s3_store.fetch(stored.url, stored.sha256)
    s3_store.client.remove_object(*parse_s3_url(stored.url))
    assert s3_store.fetch(stored.url, stored.sha256) == first


def test_sites_creating_the_same_new_bucket_at_once_all_succeed(seaweed: Any, tmp_path: Path) -> None:
    """Sites (or test workers) starting on an empty store race to create its bucket: the loser's
    BucketAlreadyOwnedByYou means the bucket is there and is ours, not an error (seen in CI: 5 setups failed)."""
    for attempt in range(5):  # each round a new bucket, so the creations race every time
        bucket = f"medperf-race-{tmp_path.name.lower().replace('_', '-')[-20:].strip('-')}-{attempt}"
        stores = [
            S3Store(seaweed.endpoint, seaweed.access_key, seaweed.secret_key, bucket, tmp_path / f"c{attempt}-{i}")
            for i in range(8)
        ]
        with ThreadPoolExecutor(max_workers=len(stores)) as pool:
            urls = set(pool.map(lambda store: store.put_bytes(b"case").url, stores))
        assert len(urls) == 1 and urls.pop().startswith(f"s3://{bucket}/")
