"""What a container's image would hold, made from its project without building it: the code's places, the argv.

Docker's rules decide: a COPY of a folder puts its content at the destination, of a file at the destination
(or inside it when that is a folder); the argv is (run_args.entrypoint, else ENTRYPOINT) followed by
(run_args.command, else CMD) — where run_args.entrypoint also drops the image's CMD, as `docker run
--entrypoint` does; the environment is the Dockerfile's ENV, then run_args.environment; the working folder
is the last WORKDIR.
"""

import glob
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from medperf.containers.config import TaskConfig
from medperf.containers.dockerfile import DOCKER_DEFAULT_PATH, DockerfileFacts
from medperf.errors import ConfigError

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class CodeBind:
    """One piece of the project's code and where the image has it."""

    host_path: Path
    target: str


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _matches(context: Path, source: str, facts: DockerfileFacts, line: int) -> list[Path]:
    if _GLOB_CHARS & set(source):
        found = sorted(Path(match) for match in glob.glob(str(context / source)))
    else:
        found = [context / source] if (context / source).exists() or (context / source).is_symlink() else []
    if not found:
        raise ConfigError(
            f"{facts.where}: line {line}: COPY {source}: not in the build context {context}; add it or fix the line"
        )
    real_context = context.resolve()
    for match in found:
        if not _inside(match.resolve(), real_context):
            raise ConfigError(
                f"{facts.where}: line {line}: COPY {source}: {match} leads outside the project (a symbolic link); "
                "replace the link with the file itself"
            )
    return found


def code_binds(facts: DockerfileFacts, context: Path) -> list[CodeBind]:
    """Where each COPY source of the build context appears in the image, in the Dockerfile's order."""
    binds: list[CodeBind] = []
    for step in facts.copies:
        for source in step.sources:
            for match in _matches(context, source, facts, step.line):
                if match.is_dir():
                    target = step.destination
                elif step.into_folder:
                    target = f"{step.destination.rstrip('/')}/{match.name}"
                else:
                    target = step.destination
                binds.append(CodeBind(match, target))
    return binds


def task_argv(facts: DockerfileFacts, task: TaskConfig, container: str) -> list[str]:
    """The argv Docker would run for this task in an image built from the Dockerfile."""
    args = task.run_args
    if args.entrypoint is not None:
        argv = [*args.entrypoint, *(args.command or ())]
    else:
        command = args.command if args.command is not None else facts.cmd
        argv = [*(facts.entrypoint or ()), *(command or ())]
    if not argv:
        raise ConfigError(
            f"task '{task.name}' of container '{container}': nothing to run: no run_args.command and "
            f"{facts.where} sets no ENTRYPOINT or CMD; give tasks.{task.name}.run_args.command"
        )
    return argv


def task_environment(facts: DockerfileFacts, task: TaskConfig, env_bin: Path | None) -> dict[str, str]:
    """The task's environment: defaults, Dockerfile ENV, run_args.environment; PATH starts at the env's bin."""
    environment: dict[str, str] = {
        "PATH": DOCKER_DEFAULT_PATH,
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",  # the log keeps stdout and stderr in the order they happened
    }
    environment.update(facts.env)
    environment.update(task.run_args.environment)
    if env_bin is not None:
        environment["PATH"] = f"{env_bin}{os.pathsep}{environment['PATH']}"
        environment["VIRTUAL_ENV"] = str(env_bin.parent)
    return environment


def rewrite_paths(words: list[str], places: Mapping[str, str]) -> list[str]:
    """Words with container paths (whole, below, or after `name=`) replaced by host paths."""
    ordered = sorted(places.items(), key=lambda pair: len(pair[0]), reverse=True)

    def rewrite(word: str) -> str:
        for inside, real in ordered:
            if word == inside or word.startswith(inside.rstrip("/") + "/"):
                return real + word[len(inside) :]
        if "=" in word:
            key, value = word.split("=", 1)
            rewritten = rewrite(value)
            if rewritten != value:
                return f"{key}={rewritten}"
        return word

    return [rewrite(word) for word in words]
