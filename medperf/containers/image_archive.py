"""`docker save` archives: load one from the object store (sha256-verified first) and read what it holds."""

import hashlib
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class ArchiveImage:
    """The image a `docker save` archive holds: its id (the sha256 of its config) and its tags."""

    image_id: str
    tags: tuple[str, ...]


def read_archive_image(path: Path) -> ArchiveImage:
    """Read manifest.json of a `docker save` archive (no daemon needed); ConfigError naming the file."""
    try:
        with tarfile.open(path, "r:*") as tar:
            manifest_member = tar.extractfile("manifest.json")
            manifest = json.loads(manifest_member.read()) if manifest_member is not None else None
            if not isinstance(manifest, list) or len(manifest) != 1 or not isinstance(manifest[0], dict):
                raise ConfigError(f"{path}: holds {len(manifest or [])} images; save exactly one with `docker save`")
            entry = manifest[0]
            config_member = tar.extractfile(str(entry.get("Config", "")))
            if config_member is None:
                raise ConfigError(f"{path}: its manifest names no image config; save it again with `docker save`")
            digest = hashlib.sha256(config_member.read()).hexdigest()
    except (KeyError, tarfile.TarError, OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not a `docker save` archive ({err}); save the image with `docker save`") from None
    tags = entry.get("RepoTags") or []
    return ArchiveImage(f"sha256:{digest}", tuple(str(tag) for tag in tags))
