"""Build a container project's image with the docker SDK and keep a `docker save` archive in the object store."""

import tempfile
from dataclasses import dataclass
from pathlib import Path

from medperf.bundle.container_project import ContainerProject
from medperf.errors import ConfigError
from medperf.settings import SiteSettings
from medperf.storage import ObjectStore, StoredObject


@dataclass(frozen=True)
class BuiltImage:
    """The pinned image id and its archive."""

    digest: str
    archive: StoredObject


def build_image(project: ContainerProject, store: ObjectStore, settings: SiteSettings) -> BuiltImage:
    """`docker build` the project's Dockerfile (no pull: base images are local), then `docker save` it."""
    import docker
    from docker.errors import APIError, BuildError

    from medperf.containers.docker_runner import docker_client

    dockerfile = project.folder / "Dockerfile"
    if not dockerfile.is_file():
        raise ConfigError(f"{project.folder}: no Dockerfile; the docker runner needs one (see docs/CONTRACTS.md)")
    client: docker.DockerClient = docker_client(settings)
    try:
        image, _ = client.images.build(path=str(project.folder), tag=project.image, rm=True, pull=False)
        with tempfile.TemporaryDirectory(prefix="medperf-image-") as tmp:
            archive = Path(tmp) / "image.tar"
            with archive.open("wb") as handle:
                for chunk in image.save(named=True):
                    handle.write(chunk)
            stored = store.put_file(archive)
    except BuildError as err:
        raise ConfigError(f"{dockerfile}: docker build failed ({err.msg}); fix the Dockerfile") from None
    except APIError as err:
        raise ConfigError(f"{dockerfile}: docker refused the build ({err.explanation}); check the daemon") from None
    finally:
        client.close()
    return BuiltImage(digest=str(image.id), archive=stored)
