"""With the docker runner the site loads a container's image archive (sha256-verified) and pins its digest."""

import hashlib
from pathlib import Path
from typing import Any, cast

import docker
import docker.errors
import pytest

from medperf.errors import HashMismatch
from medperf.schemas import ContainerPublic
from medperf.settings import ObjectStoreSettings
from medperf.site.container_fetch import container_spec
from medperf.storage import ObjectStore, make_store

CONFIG = {
    "tasks": {
        "infer": {
            "run_args": {"command": "python3 /workspace/m.py"},
            "input_volumes": {"data_path": {"mount_path": "/d", "type": "directory"}},
            "output_volumes": {"output_path": {"mount_path": "/o", "type": "directory"}},
        }
    }
}
LOADED_ID = "sha256:" + "ab" * 32


class FakeImage:
    def __init__(self, images: "FakeImages", image_id: str) -> None:
        self.images, self.id = images, image_id

    def tag(self, repository: str, tag: str | None = None) -> bool:
        self.images.tags[f"{repository}:{tag}" if tag else repository] = self.id
        return True


class FakeImages:
    """The part of docker's ImageCollection the site uses: get, load (of a `docker save` archive) and tag."""

    def __init__(self, tags: dict[str, str] | None = None) -> None:
        self.tags = dict(tags or {})
        self.loaded: list[bytes] = []

    def get(self, name: str) -> FakeImage:
        image_id = name if name.startswith("sha256:") else self.tags.get(name)
        if image_id is None:
            raise docker.errors.ImageNotFound(name)
        return FakeImage(self, image_id)

    def load(self, data: Any) -> list[FakeImage]:
        self.loaded.append(data.read())
        return [FakeImage(self, LOADED_ID)]


class FakeDocker:
    def __init__(self, tags: dict[str, str] | None = None) -> None:
        self.images = FakeImages(tags)


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return make_store(ObjectStoreSettings(kind="local", root=tmp_path / "store", cache_dir=tmp_path / "cache"))


def _container(store: ObjectStore, *, digest: str | None, archive: bytes | None, sha256: str | None = None) -> Any:
    url = None
    if archive is not None:
        stored = store.put_bytes(archive)
        url, sha256 = stored.url, sha256 or stored.sha256
    return ContainerPublic.model_validate(
        {
            "id": 7,
            "name": "tiny-model",
            "owner_id": 1,
            "config": CONFIG,
            "parameters": None,
            "image": "medperf/tiny-model:1.0",
            "image_digest": digest,
            "image_archive_url": url,
            "image_archive_sha256": sha256,
            "source_archive_url": None,
            "source_archive_sha256": None,
            "additional_files_url": None,
            "additional_files_sha256": None,
            "state": "OPERATION",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
        }
    )


def _daemon(fake: FakeDocker) -> docker.DockerClient:
    return cast(docker.DockerClient, fake)


def test_missing_image_is_loaded_from_its_archive_tagged_and_pinned(store: ObjectStore, tmp_path: Path) -> None:
    fake = FakeDocker()
    container = _container(store, digest=None, archive=b"docker-save-archive")
    spec = container_spec(container, store, tmp_path / "cache", daemon=_daemon(fake))
    assert fake.images.loaded == [b"docker-save-archive"]
    assert spec.image_digest == LOADED_ID  # the runner refuses any other image under this name
    assert fake.images.tags["medperf/tiny-model:1.0"] == LOADED_ID
    assert spec.source_dir is None


def test_present_registered_image_is_not_loaded_again(store: ObjectStore, tmp_path: Path) -> None:
    fake = FakeDocker({"medperf/tiny-model:1.0": LOADED_ID})
    container = _container(store, digest=LOADED_ID, archive=b"docker-save-archive")
    spec = container_spec(container, store, tmp_path / "cache", daemon=_daemon(fake))
    assert fake.images.loaded == [] and spec.image_digest == LOADED_ID


def test_an_archive_of_another_image_than_the_registered_digest_is_refused(store: ObjectStore, tmp_path: Path) -> None:
    fake = FakeDocker()
    container = _container(store, digest="sha256:" + "cd" * 32, archive=b"docker-save-archive")
    with pytest.raises(HashMismatch, match="not the registered digest"):
        container_spec(container, store, tmp_path / "cache", daemon=_daemon(fake))


def test_a_tampered_archive_is_never_loaded(store: ObjectStore, tmp_path: Path) -> None:
    fake = FakeDocker()
    container = _container(
        store, digest=None, archive=b"docker-save-archive", sha256=hashlib.sha256(b"other").hexdigest()
    )
    with pytest.raises(HashMismatch):
        container_spec(container, store, tmp_path / "cache", daemon=_daemon(fake))
    assert fake.images.loaded == []
