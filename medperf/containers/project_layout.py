"""Where things are in a container project folder: its config, workspace, Dockerfile, build context, requirements.

Two layouts are read:
- MedPerf's: container_config.yaml (or the older mlcube.yaml) and a Dockerfile at the top, the code and a
  pinned requirements.txt under project/, workspace/parameters.yaml and workspace/additional_files/. MedPerf's
  older template (mlcube/mlcube.yaml with mlcube/workspace/ and the Dockerfile in docker.build_context, e.g.
  ../project) is read too.
- This project's flat one: container_config.yaml, parameters.yaml, additional_files/, the code, a Dockerfile
  and an optional requirements.txt at the top.
A Dockerfile at the top wins, with the top as its build context; otherwise mlcube.yaml's docker.build_context
and docker.build_file (which must stay inside the project). Without a Dockerfile the code is the folder itself.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from medperf.containers.config import ContainerConfig, load_container_config
from medperf.containers.dockerfile import DockerfileFacts, load_dockerfile
from medperf.containers.python_env import find_requirements
from medperf.errors import ConfigError
from medperf.safe_yaml import load_yaml_file

CONFIG_FILE = "container_config.yaml"
MLCUBE_FILE = "mlcube.yaml"
WORKSPACE = "workspace"
PARAMETERS_FILE = "parameters.yaml"
ADDITIONAL_FILES = "additional_files"
DOCKERFILE = "Dockerfile"

ConfigFormat = Literal["container_config", "mlcube"]


@dataclass(frozen=True)
class ProjectLayout:
    """The places of one project folder (folder is absolute)."""

    folder: Path
    config_file: Path | None
    config_format: ConfigFormat | None
    workspace: Path | None
    dockerfile: Path | None
    build_context: Path
    requirements: Path | None

    @property
    def parameters_file(self) -> Path | None:
        """workspace/parameters.yaml (MedPerf), else parameters.yaml at the top (flat), when present."""
        bases = [self.workspace] if self.workspace is not None else []
        found = [base / PARAMETERS_FILE for base in [*bases, self.folder] if (base / PARAMETERS_FILE).is_file()]
        return found[0] if found else None

    @property
    def additional_files_dir(self) -> Path | None:
        """workspace/additional_files/ (MedPerf), else additional_files/ at the top (flat), when present."""
        bases = [self.workspace] if self.workspace is not None else []
        found = [base / ADDITIONAL_FILES for base in [*bases, self.folder] if (base / ADDITIONAL_FILES).is_dir()]
        return found[0] if found else None

    def dockerfile_facts(self) -> DockerfileFacts:
        """What the Dockerfile says (the no-Dockerfile default when there is none)."""
        return load_dockerfile(self.dockerfile)

    def load_config(self) -> ContainerConfig:
        """The project's config as a ContainerConfig (mlcube.yaml translated)."""
        if self.config_file is None:
            raise ConfigError(
                f"{self.folder}: no {CONFIG_FILE} or {MLCUBE_FILE}; a container project needs one (MedPerf format)"
            )
        if self.config_format == "mlcube":
            from medperf.containers.mlcube import load_mlcube_config

            return load_mlcube_config(self.config_file, self.workspace)
        return load_container_config(self.config_file)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _mlcube_build(folder: Path, mlcube: Path) -> tuple[Path | None, Path]:
    """(Dockerfile, build context) that mlcube.yaml's docker section names, checked to stay in the project."""
    data = load_yaml_file(mlcube, "mlcube config")
    docker = data.get("docker") if isinstance(data, dict) else None
    docker = docker if isinstance(docker, dict) else {}
    context_name, file_name = docker.get("build_context", "."), docker.get("build_file", DOCKERFILE)
    if not isinstance(context_name, str) or not isinstance(file_name, str):
        raise ConfigError(f"{mlcube}: docker.build_context / docker.build_file: must be paths")
    context = (mlcube.parent / context_name).resolve()
    dockerfile = (context / file_name).resolve()
    if not _inside(context, folder) or not _inside(dockerfile, folder):
        raise ConfigError(
            f"{mlcube}: docker.build_context: '{context_name}' is outside the project {folder}; keep the code inside it"
        )
    return (dockerfile if dockerfile.is_file() else None), context


def find_layout(folder: Path) -> ProjectLayout:
    """The layout of a project folder (its config file may be missing: runners only need the code)."""
    folder = folder.expanduser().resolve()
    if not folder.is_dir():
        raise ConfigError(f"{folder}: not a folder; give the container project's folder")
    config_file: Path | None = None
    config_format: ConfigFormat | None = None
    for candidate, kind in ((folder / CONFIG_FILE, "container_config"), (folder / MLCUBE_FILE, "mlcube"),
                            (folder / "mlcube" / MLCUBE_FILE, "mlcube")):
        if candidate.is_file():
            config_file, config_format = candidate, kind  # type: ignore[assignment]
            break
    workspace = None
    for candidate in ([config_file.parent / WORKSPACE] if config_file is not None else []) + [folder / WORKSPACE]:
        if candidate.is_dir():
            workspace = candidate
            break
    dockerfile: Path | None = folder / DOCKERFILE if (folder / DOCKERFILE).is_file() else None
    context = folder
    if dockerfile is None and config_format == "mlcube" and config_file is not None:
        dockerfile, context = _mlcube_build(folder, config_file)
    requirements = find_requirements(folder)
    if requirements is None and context != folder:
        candidate = context / "requirements.txt"
        requirements = candidate if candidate.is_file() else None
    return ProjectLayout(folder, config_file, config_format, workspace, dockerfile, context, requirements)
