"""Fixtures of the object-store tests: a real SeaweedFS S3 server for tests marked `s3`."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.modules import load_module

from medperf.storage.s3 import S3Store

INFRA = Path(__file__).parents[2] / "infra"


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A running `weed mini` for the module (stopped when it ends, not at the end of the worker's whole run);
    fails loudly (never skips) when it cannot start."""
    module = load_module("medperf_infra_seaweed", INFRA / "seaweed.py")
    server = module.start_seaweed(tmp_path_factory.mktemp("seaweed"))
    yield server
    server.stop()


@pytest.fixture
def s3_store(seaweed: object, tmp_path: Path) -> S3Store:
    """An S3Store on the session's SeaweedFS, with a fresh bucket and cache per test."""
    bucket = "medperf-" + tmp_path.name.lower().replace("_", "-")[-40:].strip("-")
    return S3Store(
        seaweed.endpoint,  # type: ignore[attr-defined]
        seaweed.access_key,  # type: ignore[attr-defined]
        seaweed.secret_key,  # type: ignore[attr-defined]
        bucket,
        tmp_path / "cache",
    )
