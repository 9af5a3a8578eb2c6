"""The container steps of the site flows (prepare, sanity_check, statistics, infer, evaluate) as plain calls."""

import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from medperf.containers.config import Volume
from medperf.containers.spec import ContainerRunner, ContainerSpec, TaskFailed, TaskResult
from medperf.errors import ContainerTaskFailed
from medperf.site.disk_space import full_disk, what_to_do


class StepFailed(ContainerTaskFailed):
    """A container step failed; the message names the step, exit code and the LOCAL log path only."""

    def __init__(self, message: str, result: TaskResult, work_dir: Path) -> None:
        super().__init__(message)
        self.result = result
        self.work_dir = work_dir  # the failed run's own folder (what a partial result reads)

    def __reduce__(self) -> tuple[Any, ...]:
        """Picklable with its arguments (Prefect stores a failed task's exception and reads it back)."""
        return (type(self), (str(self), self.result, self.work_dir))


@dataclass(frozen=True)
class StepContext:
    """Where a step writes (a folder keyed by its inputs) and how long it may take."""

    runner: ContainerRunner
    spec: ContainerSpec
    work_dir: Path
    timeout_s: float | None

    @property
    def log_dir(self) -> Path:
        """Container logs: on the site only."""
        return self.work_dir / "logs"


def fresh_dir(path: Path) -> Path:
    """An empty folder at path (a step that runs again never mixes old and new outputs)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def show_log_tail_locally(result: TaskResult, stream: TextIO | None = None) -> None:
    """Write the last log lines of a failed task to this process's stderr, never to a Prefect logger.

    Container logs may hold case data: Prefect loggers and exception messages reach the Prefect API, the
    site process's own stderr does not.
    """
    tail = result.log_tail.strip()
    if not tail:
        return
    out = stream or sys.stderr
    out.write(f"[medperf] last log lines of task '{result.task}' (on this site only; full log: {result.log_path}):\n")
    out.write("".join(f"  {line}\n" for line in tail.splitlines()))
    out.flush()


def step_failure(ctx: StepContext, task: str, result: TaskResult) -> StepFailed:
    """The summary error of a failed step: task, container, exit code or timeout, local log path; no log line."""
    show_log_tail_locally(result)
    if result.timed_out:
        return StepFailed(
            f"step '{task}' of container '{ctx.spec.name}' passed its timeout of {ctx.timeout_s}s; "
            f"raise MEDPERF_SITE_TASK_TIMEOUT_SECONDS if it needs longer (log on this site: {result.log_path})",
            result,
            ctx.work_dir,
        )
    if result.memory_limit_hit_mb is not None:
        return StepFailed(
            f"step '{task}' of container '{ctx.spec.name}' ran out of memory: it passed the limit of "
            f"{result.memory_limit_hit_mb} MB (exit code {result.exit_code}); raise MEDPERF_SITE_MEMORY_LIMIT_MB "
            f"if it needs more (log on this site: {result.log_path})",
            result,
            ctx.work_dir,
        )
    free = full_disk(ctx.work_dir, result.log_tail)
    if free is not None:
        return StepFailed(
            f"step '{task}' of container '{ctx.spec.name}' failed with exit code {result.exit_code}: "
            f"{what_to_do(ctx.work_dir, free)} (log on this site: {result.log_path})",
            result,
            ctx.work_dir,
        )
    return StepFailed(
        f"step '{task}' of container '{ctx.spec.name}' failed with exit code {result.exit_code} "
        f"(log on this site: {result.log_path})",
        result,
        ctx.work_dir,
    )


def run_step(ctx: StepContext, task: str, mounts: Mapping[str, Path]) -> TaskResult:
    """Run one container task; a failure message carries no log line (logs may hold case data).

    A runner that raises TaskFailed itself (its message ends with the log tail) is turned into the same
    summary, without chaining, so the tail never reaches a Prefect state message or logged traceback.
    """
    ctx.log_dir.mkdir(parents=True, exist_ok=True)
    try:
        result = ctx.runner.run(ctx.spec, task, mounts, log_dir=ctx.log_dir, timeout_s=ctx.timeout_s)
    except TaskFailed as err:
        raise step_failure(ctx, task, err.result) from None
    if not result.ok:
        raise step_failure(ctx, task, result)
    return result


@dataclass(frozen=True)
class PreparedPaths:
    """The prepared dataset on the site."""

    data: Path
    labels: Path
    metadata: Path
    report: Path | None = None  # the preparator's report_file (a per-case progress table): site only


def _as_declared(path: Path, volume: Volume | None, staging: Path) -> Path:
    """A labels FILE given for an input the container declares as a directory is staged alone in a
    folder of its own (`medperf prepare -l data/labels.csv` works with MedPerf-style preparators)."""
    if volume is None or volume.type != "directory" or not path.is_file():
        return path
    folder = fresh_dir(staging)
    shutil.copy2(path, folder / path.name)
    return folder


def prepare(ctx: StepContext, raw_data: Path, raw_labels: Path) -> PreparedPaths:
    """Run the preparation container: raw data -> the benchmark's standard format."""
    out = PreparedPaths(
        data=fresh_dir(ctx.work_dir / "data"),
        labels=fresh_dir(ctx.work_dir / "labels"),
        metadata=fresh_dir(ctx.work_dir / "metadata"),
    )
    config = ctx.spec.config.tasks.get("prepare")
    mounts: dict[str, Path] = {
        "data_path": raw_data,
        "labels_path": _as_declared(raw_labels, config.input_volumes.get("labels_path") if config else None,
                                    ctx.work_dir / "raw_labels"),
        "output_path": out.data,
        "output_labels_path": out.labels,
    }
    declared = set(config.output_volumes) if config is not None else set()
    if "metadata_path" in declared:
        mounts["metadata_path"] = out.metadata
    report = None
    if "report_file" in declared:  # beside the metadata folder, which is the preparator's alone
        report = ctx.work_dir / "report.yaml"
        report.unlink(missing_ok=True)
        mounts["report_file"] = report
    run_step(ctx, "prepare", mounts)
    return PreparedPaths(out.data, out.labels, out.metadata, report)


def _declared(ctx: StepContext, task: str) -> set[str]:
    config = ctx.spec.config.tasks.get(task)
    return set(config.input_volumes) | set(config.output_volumes) if config is not None else set()


def _with_metadata(ctx: StepContext, task: str, mounts: dict[str, Path], metadata: Path | None) -> dict[str, Path]:
    """metadata_path joins the mounts when the task declares it and the site has prepared metadata."""
    if metadata is not None and "metadata_path" in _declared(ctx, task):
        metadata.mkdir(parents=True, exist_ok=True)
        mounts["metadata_path"] = metadata
    return mounts


def sanity_check(ctx: StepContext, data: Path, labels: Path, metadata: Path | None = None) -> None:
    """Run the container's own sanity check (non-zero exit = failed); a container without one passes."""
    if "sanity_check" not in ctx.spec.config.tasks:
        return
    run_step(ctx, "sanity_check", _with_metadata(ctx, "sanity_check", {"data_path": data, "labels_path": labels},
                                                 metadata))


def statistics(ctx: StepContext, data: Path, labels: Path, metadata: Path | None = None) -> Path:
    """Run the container's statistics task; returns the statistics.yaml it wrote."""
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    output = ctx.work_dir / "statistics.yaml"
    output.unlink(missing_ok=True)
    mounts = {"data_path": data, "labels_path": labels, "output_path": output}
    run_step(ctx, "statistics", _with_metadata(ctx, "statistics", mounts, metadata))
    return output


def infer(ctx: StepContext, data: Path) -> Path:
    """Run a model on the prepared data (never the labels); returns the predictions folder."""
    predictions = fresh_dir(ctx.work_dir / "predictions")
    run_step(ctx, "infer", {"data_path": data, "output_path": predictions})
    return predictions


def local_outputs_dir(ctx: StepContext) -> Path:
    """Where an evaluator's local_outputs_path goes: in the step's work folder, on this site, never uploaded."""
    return ctx.work_dir / "local_outputs"


def evaluate(ctx: StepContext, predictions: Path, labels: Path) -> Path:
    """Run the evaluator on predictions and labels; returns results.yaml (local outputs stay on the site)."""
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    output = ctx.work_dir / "results.yaml"
    output.unlink(missing_ok=True)
    mounts = {"predictions": predictions, "labels": labels, "output_path": output}
    if "local_outputs_path" in _declared(ctx, "evaluate"):
        mounts["local_outputs_path"] = fresh_dir(local_outputs_dir(ctx))
    run_step(ctx, "evaluate", mounts)
    return output
