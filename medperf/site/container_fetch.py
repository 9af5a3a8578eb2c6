"""Turn a registry container into a runnable ContainerSpec on the site (sources fetched and verified)."""

from pathlib import Path

import yaml

from medperf.containers.config import parse_container_config
from medperf.containers.spec import ContainerSpec
from medperf.containers.tarball import fetch_tarball
from medperf.schemas import ContainerPublic
from medperf.site.payloads import payload_sha256
from medperf.storage import ObjectStore


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


def container_spec(container: ContainerPublic, store: ObjectStore, cache_root: Path) -> ContainerSpec:
    """Fetch the container's sources and additional files (sha256-checked) into a folder keyed by its hash."""
    folder = cache_root / "containers" / container_key(container)[:24]
    source_dir = None
    if container.source_archive_url and container.source_archive_sha256:
        source_dir = folder / "workspace"
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
        parameters.write_text(yaml.safe_dump(container.parameters, sort_keys=True))
    return ContainerSpec(
        name=container.name,
        config=parse_container_config(container.config, f"container {container.id} config"),
        image=container.image,
        image_digest=container.image_digest,
        source_dir=source_dir,
        parameters_file=parameters,
        additional_files_dir=additional,
    )
