"""Load a `docker save` archive from the object store, verified by sha256 before `docker load`."""

import docker

from medperf.errors import ConfigError
from medperf.storage.base import ObjectStore


def load_image_archive(store: ObjectStore, url: str, sha256: str, client: docker.DockerClient) -> str:
    """Fetch (HashMismatch if tampered), docker-load, and return the loaded image id ("sha256:...")."""
    archive = store.fetch(url, sha256)
    with open(archive, "rb") as handle:
        images = client.images.load(handle)
    if not images:
        raise ConfigError(f"{url}: the archive holds no image; upload a `docker save` archive")
    image_id: str = images[0].id
    return image_id
