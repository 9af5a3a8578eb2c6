"""Resolve a task's logical names to host paths, checked against the container config."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from medperf.containers.config import TASK_INPUTS, TASK_OUTPUTS, TaskConfig, VolumeType
from medperf.containers.spec import ContainerSpec
from medperf.errors import ConfigError


@dataclass(frozen=True)
class Mount:
    """One logical input or output: the real host path and where the container sees it."""

    name: str
    host_path: Path
    mount_path: str
    type: VolumeType
    read_only: bool


def task_config(spec: ContainerSpec, task: str) -> TaskConfig:
    """The task's config, or ConfigError naming the tasks the container has."""
    if task not in spec.config.tasks:
        raise ConfigError(
            f"container '{spec.name}': has no task '{task}' (it has {', '.join(spec.config.tasks)}); "
            "check the container_config.yaml"
        )
    return spec.config.tasks[task]


def _spec_inputs(spec: ContainerSpec) -> dict[str, Path]:
    provided: dict[str, Path] = {}
    if spec.parameters_file is not None:
        provided["parameters_file"] = spec.parameters_file
    if spec.additional_files_dir is not None:
        provided["additional_files"] = spec.additional_files_dir
    return provided


def _check_kind(name: str, path: Path, kind: VolumeType) -> None:
    if kind == "directory" and not path.is_dir():
        raise ConfigError(f"input '{name}': {path} is not a folder; the container expects a folder there")
    if kind == "file" and not path.is_file():
        raise ConfigError(f"input '{name}': {path} is not a file; the container expects a file there")


def _prepare_output(name: str, path: Path, kind: VolumeType) -> None:
    if kind == "directory":
        if path.exists() and not path.is_dir():
            raise ConfigError(f"output '{name}': {path} exists and is not a folder; remove it or pick another path")
        path.mkdir(parents=True, exist_ok=True)
        return
    if path.is_dir():
        raise ConfigError(f"output '{name}': {path} is a folder; the container writes a file there")
    path.parent.mkdir(parents=True, exist_ok=True)
    # A file must exist before it can be mounted; the container overwrites it in place.
    path.touch()


def resolve_mounts(spec: ContainerSpec, task: str, mounts: Mapping[str, Path]) -> list[Mount]:
    """Inputs (read-only, must exist) and outputs (created) of one task, ordered by mount depth."""
    config = task_config(spec, task)
    known = TASK_INPUTS[task] | TASK_OUTPUTS[task]
    for name in mounts:
        if name not in known:
            raise ConfigError(f"task '{task}' takes no '{name}' (it takes {', '.join(sorted(known))})")
    given = {**_spec_inputs(spec), **{name: Path(path) for name, path in mounts.items()}}
    resolved: list[Mount] = []
    for name, volume in config.input_volumes.items():
        if name not in given:
            raise ConfigError(f"task '{task}' of container '{spec.name}' needs the input '{name}'; provide it")
        path = given[name].resolve()
        _check_kind(name, path, volume.type)
        resolved.append(Mount(name, path, volume.mount_path, volume.type, read_only=True))
    for name, volume in config.output_volumes.items():
        if name not in given:
            raise ConfigError(f"task '{task}' of container '{spec.name}' writes the output '{name}'; give its path")
        path = given[name].resolve()
        _prepare_output(name, path, volume.type)
        resolved.append(Mount(name, path, volume.mount_path, volume.type, read_only=False))
    return sorted(resolved, key=lambda mount: mount.mount_path.count("/"))
