"""With the docker runner the site loads a container's image archive (sha256-verified) and pins its digest."""

import hashlib
import tarfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import docker
import docker.errors
import pytest

from medperf.containers.spec import ContainerSpec
from medperf.containers.tarball import fetch_tarball
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


def _source_container(store: ObjectStore, tmp_path: Path) -> Any:
    """A sandbox container: its source archive (one script) and parameters."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "m.py").write_text("print('model')\n")
    archive = tmp_path / "source.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder / "m.py", arcname="m.py")
    stored = store.put_file(archive)
    container = _container(store, digest=None, archive=None)
    return container.model_copy(update={"source_archive_url": stored.url, "source_archive_sha256": stored.sha256,
                                        "parameters": {"threshold": 10}})


def test_an_unpack_racing_a_finished_one_keeps_the_folder_a_run_may_be_reading(store: ObjectStore,
                                                                               tmp_path: Path) -> None:
    container = _source_container(store, tmp_path)
    first = container_spec(container, store, tmp_path / "site")
    assert first.source_dir is not None
    script = first.source_dir / "m.py"
    inode = script.stat().st_ino
    with script.open() as reading:  # a run of another pair reads its code while the next unpack lands
        fetch_tarball(store, str(container.source_archive_url), str(container.source_archive_sha256),
                      first.source_dir)
        assert reading.read() == "print('model')\n"
    assert script.stat().st_ino == inode, "the folder in use was replaced"
    assert sorted(path.name for path in first.source_dir.parent.iterdir()) == ["parameters.yaml", "source"]


def test_pairs_of_one_batch_fetching_the_same_container_at_once_all_get_it_whole(store: ObjectStore,
                                                                                  tmp_path: Path) -> None:
    container = _source_container(store, tmp_path)
    start = threading.Barrier(8)

    def fetch(_: int) -> ContainerSpec:
        start.wait()
        return container_spec(container, store, tmp_path / "site")

    with ThreadPoolExecutor(8) as pool:
        specs = list(pool.map(fetch, range(8)))
    for spec in specs:
        assert spec.source_dir is not None and (spec.source_dir / "m.py").read_text() == "print('model')\n"
        assert spec.parameters_file is not None and spec.parameters_file.read_text() == "threshold: 10\n"
    leftovers = [path.name for path in specs[0].source_dir.parent.iterdir() if path.name.startswith(".")]
    assert leftovers == [], "staging folders or files were left behind"
