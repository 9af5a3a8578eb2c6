"""A container project folder, MedPerf's layout or the flat one: checked whole, then packed for the registry.

Loading checks everything a site will rely on, before anything is registered: the config (container_config.yaml,
or mlcube.yaml translated), the container type, the kind, the parameters, the Dockerfile (where the code
goes; every COPY source present and inside the project), that no mount hides the code, the requirements
file, and that nothing packed is a symlink or special file.

Packing makes three things: the parameters (sent as data), the additional files (their own archive) and the
source archive (the code for the sandbox). The source archive is the project folder WITHOUT:
- the workspace folder (workspace/, or mlcube/workspace/): its parameters.yaml and additional_files/ travel
  on their own, and everything else in it is what local runs wrote there (data, predictions, results) —
  often large, never code;
- additional_files/ at the top (flat layout), which travels on its own;
- a DockerArchive's image file (it travels as the image archive);
- caches and tool folders: .git, __pycache__, *.pyc, .pytest_cache, .mypy_cache, .venv.
"""

import fnmatch
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medperf.containers.config import ContainerConfig, ContainerKind, check_code_destinations, container_kind
from medperf.containers.dockerfile import DockerfileFacts
from medperf.containers.image_archive import read_archive_image
from medperf.containers.image_view import code_binds
from medperf.containers.mlcube import mlcube_as_container_config
from medperf.containers.project_layout import ADDITIONAL_FILES, ProjectLayout, find_layout
from medperf.containers.python_env import read_requirements
from medperf.containers.tarball import check_packable, pack_folder
from medperf.errors import ConfigError
from medperf.safe_yaml import load_yaml_file, read_yaml_mapping
from medperf.storage import ObjectStore, StoredObject

_SKIPPED_EVERYWHERE = ("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache", ".git", ".venv")


@dataclass(frozen=True)
class ContainerProject:
    """What a project folder declares, checked: config (registry form), parameters, image, kind, code places."""

    folder: Path
    layout: ProjectLayout
    config: dict[str, Any]
    parsed: ContainerConfig
    parameters: dict[str, Any] | None
    image: str
    kind: ContainerKind
    dockerfile: DockerfileFacts
    requirements: tuple[str, ...]
    image_archive: Path | None = None
    image_digest: str | None = None

    @property
    def additional_files_dir(self) -> Path | None:
        """workspace/additional_files/ or additional_files/ when the project has one."""
        return self.layout.additional_files_dir

    @property
    def container_type(self) -> str:
        """DockerImage or DockerArchive."""
        return self.parsed.runnable_type


@dataclass(frozen=True)
class PackedContainer:
    """The project's archives in the object store."""

    source: StoredObject
    additional_files: StoredObject | None


def _skipped_from_source(project_folder: Path, layout: ProjectLayout, extra: list[Path]) -> Callable[[Path], bool]:
    """Whether a path of the project stays out of the source archive (the rule in the module docstring)."""
    tops = [layout.folder / ADDITIONAL_FILES, *extra]
    if layout.workspace is not None:
        tops.append(layout.workspace)

    def skipped(path: Path) -> bool:
        if any(path == top or top in path.parents for top in tops):
            return True
        return any(fnmatch.fnmatch(path.name, pattern) for pattern in _SKIPPED_EVERYWHERE)

    return skipped


def _check_source_packable(folder: Path, skipped: Callable[[Path], bool]) -> None:
    """ConfigError naming the first symlink or special file the source archive would take."""
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = [name for name in dirnames if not skipped(here / name)]
        for name in sorted([*dirnames, *filenames]):
            path = here / name
            if skipped(path):
                continue
            if path.is_symlink():
                raise ConfigError(f"{path}: is a symbolic link; packing never follows links — copy the file in instead")
            if not (path.is_file() or path.is_dir()):
                raise ConfigError(f"{path}: is not a regular file or folder; remove it from the project")


def _archive_reference(folder: Path, digest: str, tags: tuple[str, ...]) -> str:
    if tags:
        return tags[0]
    name = re.sub(r"[^a-z0-9._-]+", "-", folder.name.lower()).strip("-._") or "container"
    return f"medperf-archive/{name}:{digest.removeprefix('sha256:')[:12]}"


def _docker_archive(config_file: Path, folder: Path, image: str) -> tuple[Path, str, str]:
    """(archive file, image id, reference) of a DockerArchive whose `image` names a file in the project."""
    if "://" in image:
        raise ConfigError(
            f"{config_file}: image: '{image}' is a URL; for a DockerArchive put the `docker save` file in the project "
            "and name it, e.g. image: image.tar (it is uploaded with the container)"
        )
    archive = (folder / image).resolve()
    if not (archive == folder or folder in archive.parents) or not archive.is_file():
        raise ConfigError(
            f"{config_file}: image: '{image}' is not a file inside the project; for a DockerArchive name the "
            "`docker save` file, e.g. image: image.tar"
        )
    facts = read_archive_image(archive)
    return archive, facts.image_id, _archive_reference(folder, facts.image_id, facts.tags)


def load_container_project(folder: Path) -> ContainerProject:
    """Read and check a project; ConfigError names the file (and key or line) that is wrong."""
    layout = find_layout(folder)
    if layout.config_file is None:
        raise ConfigError(
            f"{layout.folder}: no container_config.yaml or mlcube.yaml; a container project needs one (MedPerf format)"
        )
    config_file = layout.config_file
    parsed = layout.load_config()
    try:
        kind = container_kind(parsed)
    except ConfigError as err:
        raise ConfigError(f"{config_file}: {str(err).split(': ', 1)[-1]}") from None
    if not parsed.image:
        raise ConfigError(f"{config_file}: image: missing; name the image, e.g. image: medperf/my-model:1.0")
    if layout.config_format == "mlcube":
        config = mlcube_as_container_config(load_yaml_file(config_file, "mlcube config"), str(config_file),
                                            layout.workspace)
    else:
        config = dict(load_yaml_file(config_file, "container config"))
    facts = layout.dockerfile_facts()
    check_code_destinations(parsed, facts.destinations, str(config_file))
    code_binds(facts, layout.build_context)  # every COPY source is there and inside the project
    requirements = tuple(read_requirements(layout.requirements))
    parameters_path = layout.parameters_file
    parameters = read_yaml_mapping(parameters_path, "parameters file") if parameters_path is not None else None
    image, archive, digest = parsed.image, None, None
    if parsed.runnable_type == "DockerArchive":
        archive, digest, image = _docker_archive(config_file, layout.folder, parsed.image)
    _check_source_packable(layout.folder, _skipped_from_source(layout.folder, layout, [archive] if archive else []))
    if layout.additional_files_dir is not None:
        check_packable(layout.additional_files_dir)
    return ContainerProject(
        folder=layout.folder,
        layout=layout,
        config=config,
        parsed=parsed,
        parameters=parameters,
        image=image,
        kind=kind,
        dockerfile=facts,
        requirements=requirements,
        image_archive=archive,
        image_digest=digest,
    )


def _copy_source(project: ContainerProject, staging: Path) -> None:
    extra = [project.image_archive] if project.image_archive is not None else []
    skipped = _skipped_from_source(project.folder, project.layout, extra)

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {name for name in names if skipped(Path(directory) / name)}

    shutil.copytree(project.folder, staging, ignore=ignore, symlinks=True)


def pack_project(project: ContainerProject, store: ObjectStore) -> PackedContainer:
    """Put the project's source archive and its additional files archive in the store (see the module rule)."""
    with tempfile.TemporaryDirectory(prefix="medperf-pack-") as tmp:
        staging = Path(tmp) / "source"
        _copy_source(project, staging)
        source = store.put_file(pack_folder(staging, Path(tmp) / "source.tar.gz", shown_as=project.folder))
        extra = None
        if project.additional_files_dir is not None:
            extra_copy = Path(tmp) / ADDITIONAL_FILES
            shutil.copytree(project.additional_files_dir, extra_copy, symlinks=True,
                            ignore=shutil.ignore_patterns(*_SKIPPED_EVERYWHERE))
            archive = pack_folder(extra_copy, Path(tmp) / "additional_files.tar.gz",
                                  shown_as=project.additional_files_dir)
            extra = store.put_file(archive)
    return PackedContainer(source=source, additional_files=extra)
