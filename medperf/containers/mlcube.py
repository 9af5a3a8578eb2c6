"""Translate MedPerf's older mlcube.yaml into the same ContainerConfig as a container_config.yaml.

MLCube's docker runner runs `<image ENTRYPOINT> <task> --<name>=<mounted path> ...`: every parameter of a task
(inputs, then outputs, in their order) is mounted at /mlcube_io<i>/<base name of its default> and passed as
`--name=path`. Here the names MedPerf passes (data_path, labels_path, parameters_file, output_path, ...) become
the task's volumes and the arguments the task's command; the image's ENTRYPOINT still runs first. A parameter
MedPerf does not pass is accepted when its default lies in the workspace's additional_files/ (it points into
the additional_files mount) or is parameters.yaml; anything else is refused, naming it. Tasks MedPerf never
runs (train, download, ...) are left out.
"""

import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from medperf.containers.config import TASK_INPUTS, TASK_OUTPUTS, ContainerConfig, parse_container_config
from medperf.errors import ConfigError
from medperf.safe_yaml import load_yaml_file

ADDITIONAL_FILES = "additional_files"
PARAMETERS_FILE = "parameters.yaml"
# The type a MedPerf name has when mlcube.yaml gives only a default.
_NAME_TYPES: Mapping[str, str] = {
    "data_path": "directory",
    "labels_path": "directory",
    "metadata_path": "directory",
    "additional_files": "directory",
    "predictions": "directory",
    "labels": "directory",
    "output_labels_path": "directory",
    "local_outputs_path": "directory",
    "parameters_file": "file",
    "report_file": "file",
}
_FILE_OUTPUT_TASKS = frozenset({"statistics", "evaluate"})


class _Translator:
    def __init__(self, source: str, workspace: Path | None) -> None:
        self.source, self.workspace = source, workspace

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: {key}: {problem}")

    def parameter(self, value: Any, key: str) -> tuple[str, str | None]:
        """(default, declared type or None) of one parameter (short form: just the default)."""
        if isinstance(value, str):
            return value, None
        if isinstance(value, dict):
            default, kind = value.get("default"), value.get("type")
            if not isinstance(default, str) or not default:
                raise self.fail(f"{key}.default", "missing; give the parameter's default path")
            if kind not in (None, "unknown", "file", "directory"):
                raise self.fail(f"{key}.type", "must be 'file' or 'directory'")
            return default, None if kind in (None, "unknown") else str(kind)
        raise self.fail(key, "must be a path or a mapping with 'type' and 'default'")

    def kind(self, task: str, name: str, default: str, declared: str | None, key: str) -> str:
        if declared is not None:
            return declared
        if name == "output_path":
            return "file" if task in _FILE_OUTPUT_TASKS else "directory"
        if name in _NAME_TYPES:
            return _NAME_TYPES[name]
        if self.workspace is not None:
            path = self.workspace / default
            if path.is_dir():
                return "directory"
            if path.is_file():
                return "file"
        if default.endswith("/"):
            return "directory"
        raise self.fail(f"{key}.type", "missing and not clear from the workspace; give type: file or directory")

    def task(self, task: str, data: Any, environment: Mapping[str, str]) -> dict[str, Any]:
        key = f"tasks.{task}"
        if not isinstance(data, dict):
            raise self.fail(key, "must be a mapping")
        parameters = data.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise self.fail(f"{key}.parameters", "must be a mapping with 'inputs' and 'outputs'")
        volumes: dict[str, dict[str, dict[str, str]]] = {"input_volumes": {}, "output_volumes": {}}
        arguments: list[str] = [task]
        aliases: list[tuple[str, str, str]] = []  # (name, logical volume, path inside that volume)
        sides = (("inputs", "input_volumes", TASK_INPUTS[task]), ("outputs", "output_volumes", TASK_OUTPUTS[task]))
        for side, where, allowed in sides:
            declared = parameters.get(side) or {}
            if not isinstance(declared, dict):
                raise self.fail(f"{key}.parameters.{side}", "must be a mapping of parameter names")
            for name, value in declared.items():
                pkey = f"{key}.parameters.{side}.{name}"
                default, declared_type = self.parameter(value, pkey)
                if name not in allowed:
                    aliases.append((name, *self.alias(side, default, pkey)))
                    continue
                kind = self.kind(task, name, default, declared_type, pkey)
                mount = f"/mlcube_io{len(volumes['input_volumes']) + len(volumes['output_volumes'])}"
                mount = posixpath.join(mount, posixpath.basename(default.rstrip("/")) or name)
                volumes[where][name] = {"mount_path": mount, "type": kind}
                arguments.append(f"--{name}={mount}")
        for name, logical, inner in aliases:
            if logical not in volumes["input_volumes"]:
                index = len(volumes["input_volumes"]) + len(volumes["output_volumes"])
                kind = "directory" if logical == "additional_files" else "file"
                base = ADDITIONAL_FILES if logical == "additional_files" else PARAMETERS_FILE
                volumes["input_volumes"][logical] = {"mount_path": f"/mlcube_io{index}/{base}", "type": kind}
            arguments.append(f"--{name}={posixpath.join(volumes['input_volumes'][logical]['mount_path'], inner)}")
        run_args: dict[str, Any] = {"command": [arg.rstrip("/") for arg in arguments]}
        if data.get("entrypoint") is not None:
            run_args["entrypoint"] = data["entrypoint"]
        if environment:
            run_args["environment"] = dict(environment)
        return {"run_args": run_args, **{k: v for k, v in volumes.items() if v}}

    def alias(self, side: str, default: str, key: str) -> tuple[str, str]:
        """(logical volume, path inside it) of a parameter MedPerf does not pass itself."""
        path = posixpath.normpath(default)
        if side == "inputs" and path == PARAMETERS_FILE:
            return "parameters_file", ""
        if side == "inputs" and (path == ADDITIONAL_FILES or path.startswith(ADDITIONAL_FILES + "/")):
            return "additional_files", path[len(ADDITIONAL_FILES) :].lstrip("/")
        raise self.fail(
            key,
            f"MedPerf does not pass this parameter and its default '{default}' is not in the workspace's "
            f"{ADDITIONAL_FILES}/; move the file into workspace/{ADDITIONAL_FILES}/ and point the default there",
        )

    def config(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail("(top level)", "must be a mapping")
        docker = data.get("docker") or {}
        if not isinstance(docker, dict):
            raise self.fail("docker", "must be a mapping with 'image'")
        image = docker.get("image")
        if not isinstance(image, str) or not image:
            raise self.fail("docker.image", "missing; name the image, e.g. image: medperf/my-model:1.0")
        env = docker.get("env_args") or {}
        if not isinstance(env, dict):
            raise self.fail("docker.env_args", "must be a mapping of names to values")
        tasks = data.get("tasks")
        if not isinstance(tasks, dict) or not tasks:
            raise self.fail("tasks", "missing or empty; declare the MedPerf tasks (prepare, infer, evaluate, ...)")
        environment = {str(k): str(v) for k, v in env.items()}
        known = {name: self.task(name, value, environment) for name, value in tasks.items() if name in TASK_INPUTS}
        if not known:
            names = ", ".join(map(str, tasks))
            raise self.fail("tasks", f"none of {names} is a MedPerf task ({', '.join(TASK_INPUTS)})")
        return {"container_type": "DockerImage", "image": image, "tasks": known}


def mlcube_as_container_config(data: Any, source: str, workspace: Path | None = None) -> dict[str, Any]:
    """The container_config.yaml form of a parsed mlcube.yaml (workspace: where untyped defaults live)."""
    translated = _Translator(source, workspace).config(data)
    parse_container_config(translated, source)  # the same rules as a container_config.yaml
    return translated


def load_mlcube_config(path: Path, workspace: Path | None = None) -> ContainerConfig:
    """Read an mlcube.yaml and return it as a validated ContainerConfig."""
    data = load_yaml_file(path, "mlcube config")
    return parse_container_config(mlcube_as_container_config(data, str(path), workspace), str(path))
