"""Build a container project's image with the docker SDK and keep a `docker save` archive in the object store.

The build uses the project's Dockerfile and build context (medperf.containers.project_layout) and the host's
network, so a `RUN pip install -r requirements.txt` reaches the package index (the base image carries the
site's pip settings, see infra/base_image.sh); base images are never pulled. A DockerArchive project is not
built: its archive is the image.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medperf.bundle.container_project import ContainerProject
from medperf.errors import ConfigError
from medperf.settings import SiteSettings
from medperf.storage import ObjectStore, StoredObject


@dataclass(frozen=True)
class BuiltImage:
    """The pinned image id and its archive."""

    digest: str
    archive: StoredObject


def _build_failure(err: Any) -> str:
    """The build's error and the last line its failing step printed (e.g. pip's reason)."""
    lines: list[str] = []
    for chunk in err.build_log:
        if isinstance(chunk, dict) and chunk.get("stream"):
            lines += [line.strip() for line in str(chunk["stream"]).splitlines() if line.strip()]
    printed = [line for line in lines if not line.startswith(("--->", "Step ", "Removing intermediate"))]
    reason = str(err.msg).strip()
    return f"{reason} ({printed[-1]})" if printed and printed[-1] not in reason else reason


def build_project_image(project: ContainerProject, settings: SiteSettings) -> str:
    """`docker build` the project's Dockerfile, tagged as project.image; returns the image id."""
    from docker.errors import APIError, BuildError

    from medperf.containers.docker_runner import docker_client

    dockerfile = project.layout.dockerfile
    if dockerfile is None:
        raise ConfigError(f"{project.folder}: no Dockerfile; the docker runner builds the image from one")
    context = project.layout.build_context
    client = docker_client(settings)
    try:
        image, _ = client.images.build(
            path=str(context),
            dockerfile=str(dockerfile.relative_to(context)),
            tag=project.image,
            rm=True,
            pull=False,
            network_mode="host",
        )
    except BuildError as err:
        detail = _build_failure(err)
        raise ConfigError(f"{dockerfile}: docker build failed: {detail}; fix the Dockerfile") from None
    except APIError as err:
        raise ConfigError(f"{dockerfile}: docker refused the build ({err.explanation}); check the daemon") from None
    finally:
        client.close()
    return str(image.id)


def save_image(image_id: str, reference: str, store: ObjectStore, settings: SiteSettings) -> StoredObject:
    """`docker save` an image (with its tag) into the object store."""
    from docker.errors import APIError

    from medperf.containers.docker_runner import docker_client

    client = docker_client(settings)
    try:
        image = client.images.get(image_id)
        with tempfile.TemporaryDirectory(prefix="medperf-image-") as tmp:
            archive = Path(tmp) / "image.tar"
            with archive.open("wb") as handle:
                for chunk in image.save(named=reference):
                    handle.write(chunk)
            return store.put_file(archive)
    except APIError as err:
        raise ConfigError(f"image {reference}: docker cannot save it ({err.explanation}); check the daemon") from None
    finally:
        client.close()


def build_image(project: ContainerProject, store: ObjectStore, settings: SiteSettings) -> BuiltImage:
    """Build the project's image and put its `docker save` archive in the store."""
    digest = build_project_image(project, settings)
    return BuiltImage(digest=digest, archive=save_image(digest, project.image, store, settings))
