"""The container contract: MedPerf container configs, and the docker and sandboxed-process runners."""

from medperf.containers.config import (
    ContainerConfig,
    RunArgs,
    TaskConfig,
    Volume,
    container_kind,
    load_container_config,
    parse_container_config,
)
from medperf.containers.factory import make_runner
from medperf.containers.spec import ContainerRunner, ContainerSpec, TaskResult, run_checked

__all__ = [
    "ContainerConfig",
    "ContainerRunner",
    "ContainerSpec",
    "RunArgs",
    "TaskConfig",
    "TaskResult",
    "Volume",
    "container_kind",
    "load_container_config",
    "make_runner",
    "parse_container_config",
    "run_checked",
]
