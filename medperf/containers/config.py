"""Parse and validate MedPerf's container_config.yaml (type, tasks, run args, input and output volumes)."""

import posixpath
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from medperf.errors import ConfigError
from medperf.safe_yaml import load_yaml_file

VolumeType = Literal["file", "directory"]
ContainerKind = Literal["model", "data_preparator", "evaluator"]

# docs/DESIGN.md's table ("The container contract"): the logical names each task may take and produce.
TASK_INPUTS: Mapping[str, frozenset[str]] = {
    "prepare": frozenset({"data_path", "labels_path", "parameters_file", "additional_files"}),
    "sanity_check": frozenset({"data_path", "labels_path", "metadata_path", "parameters_file"}),
    "statistics": frozenset({"data_path", "labels_path", "metadata_path", "parameters_file"}),
    "infer": frozenset({"data_path", "parameters_file", "additional_files"}),
    "evaluate": frozenset({"predictions", "labels", "parameters_file"}),
}
TASK_OUTPUTS: Mapping[str, frozenset[str]] = {
    "prepare": frozenset({"output_path", "output_labels_path", "metadata_path", "report_file"}),
    "sanity_check": frozenset(),
    "statistics": frozenset({"output_path"}),
    "infer": frozenset({"output_path"}),
    "evaluate": frozenset({"output_path", "local_outputs_path"}),
}
ALLOWED_RUN_ARGS = frozenset({"command", "entrypoint", "environment", "gpus", "shm_size"})

# MedPerf's container types: the ones this platform runs, and why it refuses the others.
RUNNABLE_TYPES = ("DockerImage", "DockerArchive")
REFUSED_TYPES: Mapping[str, str] = {
    "EncryptedDockerArchive": (
        "this platform does not run encrypted containers (a site would need the owner's decryption key, "
        "which MedPerf's key exchange delivers and this platform has not); register the image as DockerImage "
        "or DockerArchive"
    ),
    "SingularityFile": (
        "this platform runs containers with Docker or its bubblewrap sandbox, not Singularity/Apptainer; "
        "register the Docker image the Singularity file was built from (DockerImage or DockerArchive)"
    ),
    "EncryptedSingularityFile": (
        "this platform runs neither Singularity/Apptainer nor encrypted containers; register the unencrypted "
        "Docker image (DockerImage or DockerArchive)"
    ),
}
# Folders a mount may not replace (or, except /tmp, go inside): the system a task runs on.
_SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/etc", "/proc", "/dev", "/sys")
_LIB_FOLDER = re.compile(r"^/lib(32|64|x32)?(/|$)")

_TOP_LEVEL_KEYS = frozenset({"container_type", "image", "tasks"})
_TASK_KEYS = frozenset({"run_args", "input_volumes", "output_volumes"})
_VOLUME_KEYS = frozenset({"mount_path", "type"})
_KIND_TASKS: Mapping[ContainerKind, frozenset[str]] = {
    "model": frozenset({"infer"}),
    "data_preparator": frozenset({"prepare", "statistics"}),  # sanity_check is optional (MedPerf's own)
    "evaluator": frozenset({"evaluate"}),
}


@dataclass(frozen=True)
class Volume:
    """Where one logical input or output appears inside the container."""

    mount_path: str
    type: VolumeType


@dataclass(frozen=True)
class RunArgs:
    """The allow-listed run arguments of one task; None means "the image's own" (CMD, ENTRYPOINT)."""

    command: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    gpus: str | None = None
    shm_size: str | None = None


@dataclass(frozen=True)
class TaskConfig:
    """One task of a container: how to run it and what it reads and writes."""

    name: str
    run_args: RunArgs
    input_volumes: Mapping[str, Volume]
    output_volumes: Mapping[str, Volume]


@dataclass(frozen=True)
class ContainerConfig:
    """A parsed, validated container_config.yaml."""

    tasks: Mapping[str, TaskConfig]
    image: str | None = None
    container_type: str | None = None

    @property
    def runnable_type(self) -> str:
        """The container type, DockerImage when the config does not say."""
        return self.container_type or "DockerImage"


def is_system_path(mount_path: str) -> bool:
    """Whether a path is '/', /tmp itself, or a system folder or something inside one."""
    if mount_path in ("/", "/tmp") or _LIB_FOLDER.match(mount_path):
        return True
    return any(mount_path == folder or mount_path.startswith(folder + "/") for folder in _SYSTEM_FOLDERS)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: {key}: {problem}")

    def mapping(self, value: Any, key: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise self.fail(key, "must be a mapping of names to values")
        return value

    def unknown_keys(self, data: Mapping[str, Any], allowed: frozenset[str], key: str) -> None:
        extra = sorted(set(data) - allowed)
        if extra:
            where = f"{key}.{extra[0]}" if key else extra[0]
            raise self.fail(where, f"unknown key; allowed keys are {', '.join(sorted(allowed))}")

    def words(self, value: Any, key: str) -> tuple[str, ...]:
        if isinstance(value, str):
            try:
                parts = tuple(shlex.split(value))
            except ValueError as err:
                raise self.fail(key, f"cannot split the command line ({err})") from None
        elif isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
            parts = tuple(str(v) for v in value)
        else:
            raise self.fail(key, "must be a string or a list of strings")
        if not parts:
            raise self.fail(key, "must not be empty; leave the key out to run the image's own command")
        return parts

    def run_args(self, data: Any, key: str) -> RunArgs:
        args = self.mapping(data, key)
        extra = sorted(set(args) - ALLOWED_RUN_ARGS)
        if extra:
            raise self.fail(
                f"{key}.{extra[0]}",
                f"run argument not allowed; allowed are {', '.join(sorted(ALLOWED_RUN_ARGS))}",
            )
        environment = self.mapping(args.get("environment"), f"{key}.environment")
        for name, value in environment.items():
            if not isinstance(value, str | int | float | bool):
                raise self.fail(f"{key}.environment.{name}", "must be a string")
        command, entrypoint = args.get("command"), args.get("entrypoint")
        gpus, shm_size = args.get("gpus"), args.get("shm_size")
        return RunArgs(
            command=None if command is None else self.words(command, f"{key}.command"),
            entrypoint=None if entrypoint is None else self.words(entrypoint, f"{key}.entrypoint"),
            environment={name: str(value) for name, value in environment.items()},
            gpus=None if gpus is None else str(gpus),
            shm_size=None if shm_size is None else str(shm_size),
        )

    def volume(self, data: Any, key: str) -> Volume:
        volume = self.mapping(data, key)
        self.unknown_keys(volume, _VOLUME_KEYS, key)
        mount_path, kind = volume.get("mount_path"), volume.get("type")
        if not isinstance(mount_path, str) or not mount_path:
            raise self.fail(f"{key}.mount_path", "missing; give an absolute path inside the container")
        if not mount_path.startswith("/"):
            raise self.fail(f"{key}.mount_path", f"'{mount_path}' is relative; give an absolute path")
        if ".." in mount_path.split("/"):
            raise self.fail(f"{key}.mount_path", f"'{mount_path}' escapes with '..'; give a plain absolute path")
        normal = posixpath.normpath(mount_path)
        if is_system_path(normal):
            raise self.fail(
                f"{key}.mount_path",
                f"'{mount_path}' is '/', /tmp or a system folder (/usr, /bin, /sbin, /lib*, /etc, /proc, /dev, "
                "/sys); mount it elsewhere, e.g. /mlcommons/volumes/...",
            )
        if kind not in ("file", "directory"):
            raise self.fail(f"{key}.type", "must be 'file' or 'directory'")
        return Volume(mount_path=normal, type=kind)

    def volumes(self, data: Any, key: str, allowed: frozenset[str], task: str, what: str) -> dict[str, Volume]:
        volumes = self.mapping(data, key)
        for name in volumes:
            if name not in allowed:
                takes = ", ".join(sorted(allowed)) or "nothing"
                raise self.fail(f"{key}.{name}", f"the task '{task}' takes no {what} '{name}' (it takes {takes})")
        return {name: self.volume(value, f"{key}.{name}") for name, value in volumes.items()}

    def task(self, name: str, data: Any) -> TaskConfig:
        key = f"tasks.{name}"
        if name not in TASK_INPUTS:
            raise self.fail(key, f"unknown task; known tasks are {', '.join(TASK_INPUTS)}")
        task = self.mapping(data, key)
        self.unknown_keys(task, _TASK_KEYS, key)
        inputs = self.volumes(task.get("input_volumes"), f"{key}.input_volumes", TASK_INPUTS[name], name, "input")
        outputs = self.volumes(task.get("output_volumes"), f"{key}.output_volumes", TASK_OUTPUTS[name], name, "output")
        seen: dict[str, str] = {}
        for logical, volume in [*inputs.items(), *outputs.items()]:
            if volume.mount_path in seen:
                raise self.fail(
                    f"{key}.{logical}.mount_path",
                    f"'{volume.mount_path}' is already used by '{seen[volume.mount_path]}'; give each its own path",
                )
            seen[volume.mount_path] = logical
        return TaskConfig(name, self.run_args(task.get("run_args"), f"{key}.run_args"), inputs, outputs)

    def container_type(self, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail("container_type", "must be a string")
        if value in REFUSED_TYPES:
            raise self.fail("container_type", f"'{value}' is refused: {REFUSED_TYPES[value]}")
        if value not in RUNNABLE_TYPES:
            raise self.fail(
                "container_type",
                f"'{value}' is not a MedPerf container type this platform runs; use {' or '.join(RUNNABLE_TYPES)}",
            )
        return value

    def config(self, data: Any) -> ContainerConfig:
        top = self.mapping(data, "(top level)")
        self.unknown_keys(top, _TOP_LEVEL_KEYS, "")
        container_type = self.container_type(top.get("container_type"))
        tasks = self.mapping(top.get("tasks"), "tasks")
        if not tasks:
            raise self.fail("tasks", "missing or empty; declare at least one task")
        image = top.get("image")
        if image is not None and not isinstance(image, str):
            raise self.fail("image", "must be a string")
        parsed = {name: self.task(name, value) for name, value in tasks.items()}
        return ContainerConfig(tasks=parsed, image=image, container_type=container_type)


def parse_container_config(data: Any, source: str = "container_config.yaml") -> ContainerConfig:
    """Validate a parsed container_config.yaml; ConfigError names the offending key."""
    return _Parser(source).config(data)


def load_container_config(path: Path | str) -> ContainerConfig:
    """Read and validate a container_config.yaml file."""
    config_path = Path(path)
    return parse_container_config(load_yaml_file(config_path, "container config"), source=str(config_path))


def config_as_dict(config: ContainerConfig) -> dict[str, Any]:
    """The container_config.yaml form of a config (what the registry stores; parses back to the same)."""

    def volumes(items: Mapping[str, Volume]) -> dict[str, Any]:
        return {name: {"mount_path": v.mount_path, "type": v.type} for name, v in items.items()}

    tasks: dict[str, Any] = {}
    for name, task in config.tasks.items():
        entry: dict[str, Any] = {}
        args = task.run_args
        run_args: dict[str, Any] = {}
        if args.command is not None:
            run_args["command"] = list(args.command)
        if args.entrypoint is not None:
            run_args["entrypoint"] = list(args.entrypoint)
        if args.environment:
            run_args["environment"] = dict(args.environment)
        if args.gpus is not None:
            run_args["gpus"] = args.gpus
        if args.shm_size is not None:
            run_args["shm_size"] = args.shm_size
        if run_args:
            entry["run_args"] = run_args
        if task.input_volumes:
            entry["input_volumes"] = volumes(task.input_volumes)
        if task.output_volumes:
            entry["output_volumes"] = volumes(task.output_volumes)
        tasks[name] = entry
    data: dict[str, Any] = {"container_type": config.runnable_type}
    if config.image is not None:
        data["image"] = config.image
    data["tasks"] = tasks
    return data


def check_code_destinations(config: ContainerConfig, destinations: Iterable[str], source: str) -> None:
    """ConfigError when a mount would hide code the Dockerfile copies (at its destination or above it)."""
    for task in config.tasks.values():
        for where, items in (("input_volumes", task.input_volumes), ("output_volumes", task.output_volumes)):
            for name, volume in items.items():
                mount = volume.mount_path
                for destination in destinations:
                    if destination == mount or destination.startswith(mount.rstrip("/") + "/"):
                        raise ConfigError(
                            f"{source}: tasks.{task.name}.{where}.{name}.mount_path: '{mount}' would hide the code "
                            f"the Dockerfile copies to '{destination}'; mount it elsewhere"
                        )


def container_kind(config: ContainerConfig) -> ContainerKind:
    """Which role a container plays: a model (infer), a data preparator or an evaluator."""
    tasks = set(config.tasks)
    kinds = [kind for kind, needed in _KIND_TASKS.items() if needed <= tasks]
    if len(kinds) != 1:
        raise ConfigError(
            f"container_config.yaml: tasks: {', '.join(sorted(tasks))} is not one kind of container; "
            "a model has 'infer', a data preparator has 'prepare' and 'statistics' (and may have 'sanity_check'), "
            "an evaluator has 'evaluate'"
        )
    return kinds[0]
