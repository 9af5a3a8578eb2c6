"""The runner contract: what to run (ContainerSpec), what came out (TaskResult), and run_checked."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from medperf.containers.config import ContainerConfig
from medperf.errors import ContainerTaskFailed


@dataclass(frozen=True)
class ContainerSpec:
    """One container as a site runs it."""

    name: str
    config: ContainerConfig
    image: str
    image_digest: str | None = None
    source_dir: Path | None = None
    parameters_file: Path | None = None
    additional_files_dir: Path | None = None


@dataclass(frozen=True)
class TaskResult:
    """How one task run ended. The log stays on the site; log_tail is for the local error message."""

    task: str
    exit_code: int
    log_path: Path
    log_tail: str
    duration_s: float
    timed_out: bool
    memory_limit_hit_mb: int | None = None  # the memory limit (MB) the task was killed at or ran out of

    @property
    def ok(self) -> bool:
        """True when the task exited 0 within its timeout."""
        return self.exit_code == 0 and not self.timed_out


class ContainerRunner(Protocol):
    """Runs one task of a container with the task's logical names mounted at their mount paths."""

    def run(
        self,
        spec: ContainerSpec,
        task: str,
        mounts: Mapping[str, Path],
        *,
        log_dir: Path,
        timeout_s: float | None = None,
    ) -> TaskResult:
        """Run the task to completion (or until its timeout) and report how it ended."""
        ...


class TaskFailed(ContainerTaskFailed):
    """ContainerTaskFailed carrying the TaskResult (the log tail is for local display only)."""

    def __init__(self, message: str, result: TaskResult) -> None:
        super().__init__(message)
        self.result = result


def failure_message(spec: ContainerSpec, result: TaskResult, timeout_s: float | None) -> str:
    """The message of a failed task: what failed, how, where the full log is, and its last lines."""
    if result.timed_out:
        limit = f" of {timeout_s:g}s" if timeout_s is not None else ""
        head = (
            f"task '{result.task}' of container '{spec.name}' passed its timeout{limit} and was killed; "
            f"raise MEDPERF_SITE_TASK_TIMEOUT_SECONDS if it needs longer (log: {result.log_path})"
        )
    elif result.memory_limit_hit_mb is not None:
        head = (
            f"task '{result.task}' of container '{spec.name}' ran out of memory: it passed the limit of "
            f"{result.memory_limit_hit_mb} MB (exit code {result.exit_code}); raise MEDPERF_SITE_MEMORY_LIMIT_MB "
            f"if it needs more (log: {result.log_path})"
        )
    else:
        head = (
            f"task '{result.task}' of container '{spec.name}' failed with exit code {result.exit_code} "
            f"(log: {result.log_path})"
        )
    tail = result.log_tail.strip()
    if not tail:
        return head
    return head + "\nlast log lines:\n" + "\n".join("  " + line for line in tail.splitlines())


def run_checked(
    runner: ContainerRunner,
    spec: ContainerSpec,
    task: str,
    mounts: Mapping[str, Path],
    *,
    log_dir: Path,
    timeout_s: float | None = None,
) -> TaskResult:
    """Run a task and raise ContainerTaskFailed (exit code, timeout, log tail) unless it succeeded."""
    result = runner.run(spec, task, mounts, log_dir=log_dir, timeout_s=timeout_s)
    if not result.ok:
        raise TaskFailed(failure_message(spec, result, timeout_s), result)
    return result
