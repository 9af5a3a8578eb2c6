"""Turn a registry container into a runnable ContainerSpec on the site (sources fetched and verified)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from medperf.containers.config import parse_container_config
from medperf.containers.project_layout import find_layout
from medperf.containers.python_env import ensure_python_env
from medperf.containers.spec import ContainerSpec
from medperf.containers.tarball import fetch_tarball
from medperf.errors import HashMismatch
from medperf.schemas import ContainerPublic
from medperf.settings import SiteSettings
from medperf.site.payloads import payload_sha256
from medperf.storage import ObjectStore

if TYPE_CHECKING:
    import docker


def container_key(container: ContainerPublic) -> str:
    """A hash of everything that decides what a container computes: config, parameters, image, files."""
    return payload_sha256(
        {
            "config": container.config,
            "parameters": container.parameters,
            "image": container.image,
            "image_digest": container.image_digest,
            "additional_files_sha256": container.additional_files_sha256,
            "source_archive_sha256": container.source_archive_sha256,
        }
    )


def _split_reference(image: str) -> tuple[str, str | None]:
    """'repo/name:tag' -> ('repo/name', 'tag'); a registry port ('host:5000/name') is not a tag."""
    repository, sep, tag = image.rpartition(":")
    if sep and "/" not in tag:
        return repository, tag
    return image, None


def _local_image_id(client: docker.DockerClient, image: str) -> str | None:
    import docker.errors

    try:
        found: str = client.images.get(image).id
    except docker.errors.ImageNotFound:
        return None
    return found


def ensure_image(container: ContainerPublic, store: ObjectStore, client: docker.DockerClient) -> str | None:
    """The digest the docker runner must find for this container, loading its image archive if needed.

    When the image is missing (or is not the registered digest) and the container has an image archive, the
    archive is fetched from the object store (sha256-verified), docker-loaded and tagged as container.image.
    Returns the registered digest, else the id of the image loaded from the verified archive, else None.
    """
    from medperf.containers.image_archive import load_image_archive

    local = _local_image_id(client, container.image)
    wanted = container.image_digest
    if (local is not None and (wanted is None or local == wanted)) or not (
        container.image_archive_url and container.image_archive_sha256
    ):
        return wanted
    loaded = load_image_archive(store, container.image_archive_url, container.image_archive_sha256, client)
    if wanted is not None and loaded != wanted:
        raise HashMismatch(
            f"container {container.id}: its image archive holds image {loaded}, not the registered digest {wanted}; "
            "the container owner must upload the archive of the registered image"
        )
    if _local_image_id(client, container.image) != loaded:
        repository, tag = _split_reference(container.image)
        client.images.get(loaded).tag(repository, tag)
    return loaded


def site_container_spec(container: ContainerPublic, store: ObjectStore, settings: SiteSettings) -> ContainerSpec:
    """container_spec for this site's runner (docker: the image archive is loaded when needed; sandbox: the
    container's own Python environment is built now, once per requirement set, so a bad requirements file
    fails the fetch rather than a task)."""
    cache_root = settings.data_root / "cache"
    if settings.runner != "docker":
        spec = container_spec(container, store, cache_root)
        if spec.source_dir is not None:
            ensure_python_env(find_layout(spec.source_dir).requirements, settings.env_cache)
        return spec
    from medperf.containers.docker_runner import docker_client

    return container_spec(container, store, cache_root, daemon=docker_client(settings))


def container_spec(
    container: ContainerPublic, store: ObjectStore, cache_root: Path, *, daemon: docker.DockerClient | None = None
) -> ContainerSpec:
    """Fetch the container's files (sha256-checked) into a folder keyed by its hash; pin its image digest.

    Without a docker daemon client (sandbox runner) the source archive is unpacked (the sandbox shows its code
    where its Dockerfile copies it); with one, the image is made present (ensure_image) and its digest pinned,
    and no source archive is needed. A container type this platform does not run is refused here too.
    """
    config = parse_container_config(container.config, f"container {container.id} config")
    folder = cache_root / "containers" / container_key(container)[:24]
    source_dir = None
    image_digest = container.image_digest
    if daemon is not None:
        image_digest = ensure_image(container, store, daemon)
    elif container.source_archive_url and container.source_archive_sha256:
        source_dir = folder / "source"
        if not source_dir.is_dir():
            fetch_tarball(store, container.source_archive_url, container.source_archive_sha256, source_dir)
    additional = None
    if container.additional_files_url and container.additional_files_sha256:
        additional = folder / "additional_files"
        if not additional.is_dir():
            fetch_tarball(store, container.additional_files_url, container.additional_files_sha256, additional)
    parameters = None
    if container.parameters is not None:
        parameters = folder / "parameters.yaml"
        parameters.parent.mkdir(parents=True, exist_ok=True)
        staged = parameters.with_name(f".parameters-{uuid.uuid4().hex}.yaml")  # a concurrent run may read it
        staged.write_text(yaml.safe_dump(container.parameters, sort_keys=True))
        os.replace(staged, parameters)
    return ContainerSpec(
        name=container.name,
        config=config,
        image=container.image,
        image_digest=image_digest,
        source_dir=source_dir,
        parameters_file=parameters,
        additional_files_dir=additional,
    )
