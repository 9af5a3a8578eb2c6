"""In-process stand-ins for a container runner, on the product's runner contract (medperf/containers/spec.py)."""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from medperf.containers.config import ContainerConfig, parse_container_config
from medperf.containers.spec import ContainerSpec, TaskResult


@dataclass(frozen=True)
class RunCall:
    """One call of ContainerRunner.run: what the site asked the container to do."""

    spec: ContainerSpec
    task: str
    mounts: Mapping[str, Path]
    log_dir: Path
    timeout_s: float | None


class FakeRunner(ABC):
    """A ContainerRunner whose container is played by `answer` (a subclass says what the container does)."""

    def run(
        self,
        spec: ContainerSpec,
        task: str,
        mounts: Mapping[str, Path],
        *,
        log_dir: Path,
        timeout_s: float | None = None,
    ) -> TaskResult:
        """ContainerRunner.run: hands the call to `answer`."""
        return self.answer(RunCall(spec, task, mounts, log_dir, timeout_s))

    @abstractmethod
    def answer(self, call: RunCall) -> TaskResult:
        """How the faked task ended (it may write into the call's mounts and log_dir, or raise)."""


def one_task_config(
    command: str | list[str], *, data_mount: str, output_mount: str, task: str = "infer"
) -> ContainerConfig:
    """A container config of one task: data_path mounted in, output_path mounted out."""
    return parse_container_config(
        {
            "tasks": {
                task: {
                    "run_args": {"command": command},
                    "input_volumes": {"data_path": {"mount_path": data_mount, "type": "directory"}},
                    "output_volumes": {"output_path": {"mount_path": output_mount, "type": "directory"}},
                }
            }
        }
    )


def infer_spec(name: str, image: str) -> ContainerSpec:
    """A model container with one infer task (its command never runs under a FakeRunner)."""
    config = one_task_config("python3 /workspace/m.py", data_mount="/d", output_mount="/o")
    return ContainerSpec(name=name, config=config, image=image)
