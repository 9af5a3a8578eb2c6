"""A container project folder (container_config.yaml, parameters.yaml, additional_files/, code): read and packed."""

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from medperf.cli.inputs import read_yaml_mapping
from medperf.containers.config import ContainerKind, container_kind, load_container_config
from medperf.containers.tarball import pack_folder
from medperf.errors import ConfigError
from medperf.storage import ObjectStore, StoredObject

CONFIG_FILE = "container_config.yaml"
PARAMETERS_FILE = "parameters.yaml"
ADDITIONAL_FILES = "additional_files"
NOT_SOURCE = shutil.ignore_patterns(ADDITIONAL_FILES, "__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache")


@dataclass(frozen=True)
class ContainerProject:
    """What a project folder declares: its parsed config and parameters, its image and its kind."""

    folder: Path
    config: dict[str, Any]
    parameters: dict[str, Any] | None
    image: str
    kind: ContainerKind

    @property
    def additional_files_dir(self) -> Path | None:
        """additional_files/ when the project has one."""
        folder = self.folder / ADDITIONAL_FILES
        return folder if folder.is_dir() else None


@dataclass(frozen=True)
class PackedContainer:
    """The project's archives in the object store."""

    source: StoredObject
    additional_files: StoredObject | None


def load_container_project(folder: Path) -> ContainerProject:
    """Read and validate a project; ConfigError names the file and key that is wrong."""
    folder = folder.expanduser().resolve()
    config_path = folder / CONFIG_FILE
    if not config_path.is_file():
        raise ConfigError(f"{folder}: no {CONFIG_FILE}; a container project needs one (MedPerf format)")
    parsed = load_container_config(config_path)
    try:
        kind = container_kind(parsed)
    except ConfigError as err:
        raise ConfigError(f"{config_path}: {str(err).split(': ', 1)[-1]}") from None
    if not parsed.image:
        raise ConfigError(f"{config_path}: image: missing; name the image, e.g. image: medperf/my-model:1.0")
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    parameters_path = folder / PARAMETERS_FILE
    parameters = read_yaml_mapping(parameters_path, "parameters file") if parameters_path.is_file() else None
    return ContainerProject(folder=folder, config=config, parameters=parameters, image=parsed.image, kind=kind)


def pack_project(project: ContainerProject, store: ObjectStore) -> PackedContainer:
    """Put the project's code (without additional_files/ and caches) and its additional files in the store."""
    with tempfile.TemporaryDirectory(prefix="medperf-pack-") as tmp:
        staging = Path(tmp) / "source"
        shutil.copytree(project.folder, staging, ignore=NOT_SOURCE)
        source = store.put_file(pack_folder(staging, Path(tmp) / "source.tar.gz"))
        extra = None
        if project.additional_files_dir is not None:
            extra_copy = Path(tmp) / ADDITIONAL_FILES
            shutil.copytree(project.additional_files_dir, extra_copy, ignore=NOT_SOURCE)
            extra = store.put_file(pack_folder(extra_copy, Path(tmp) / "additional_files.tar.gz"))
    return PackedContainer(source=source, additional_files=extra)
