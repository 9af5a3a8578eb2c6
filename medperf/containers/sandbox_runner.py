"""Run a container's task as a local process, isolated with bubblewrap (or, if allowed, unisolated)."""

import logging
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from medperf.containers.mounts import Mount, resolve_mounts, task_config
from medperf.containers.spec import ContainerSpec, TaskResult
from medperf.containers.task_log import log_tail, new_log_path
from medperf.errors import ConfigError
from medperf.settings import SiteSettings

logger = logging.getLogger(__name__)

WORKSPACE = "/workspace"
_HOST_SPECIAL = {"proc", "dev", "tmp"}
_BASE_PATH = "/usr/local/bin:/usr/bin:/bin"


def _probe_bwrap() -> str | None:
    """None when bwrap can create its namespaces here, else the reason it cannot."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bwrap (bubblewrap) is not installed"
    probe = subprocess.run(
        [bwrap, "--ro-bind", "/", "/", "--unshare-all", "--cap-drop", "ALL", "true"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if probe.returncode != 0:
        return f"bwrap cannot create namespaces here ({probe.stderr.strip() or probe.returncode})"
    return None


def _limits(settings: SiteSettings, timeout_s: float) -> Callable[[], None]:
    memory = settings.memory_limit_mb * 1024 * 1024
    cpu_seconds = int(timeout_s * max(settings.cpu_limit, 1.0)) + 5

    def apply() -> None:  # runs in the child between fork and exec
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_NPROC, (settings.pids_limit, settings.pids_limit))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _read_only_view(source: str, target: str, needed: list[str]) -> list[str]:
    """bwrap args showing source read-only at target, with room to create the needed mount paths below it.

    A folder that must hold a new mount point becomes a tmpfs whose entries are bound one by one
    (read-only binds cannot take new mount points); every other folder is bound whole.
    """
    inner = [path for path in needed if path.startswith(target.rstrip("/") + "/")]
    if not inner:
        return ["--ro-bind", source, target]
    args = [] if target == "/" else ["--tmpfs", target]
    for entry in sorted(os.listdir(source)):
        if target == "/" and entry in _HOST_SPECIAL:
            continue
        child_source, child_target = os.path.join(source, entry), os.path.join(target, entry)
        if os.path.islink(child_source):
            args += ["--symlink", os.readlink(child_source), child_target]
        elif os.path.isdir(child_source):
            args += _read_only_view(child_source, child_target, inner)
        elif os.path.isfile(child_source):
            args += ["--ro-bind", child_source, child_target]
    return args


def _python_roots_under_tmp() -> list[str]:
    """The site Python's environment folders that live below /tmp (hidden by the sandbox's private tmp)."""
    roots = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return sorted(root for root in roots if root == "/tmp" or root.startswith("/tmp/"))


def _environment(spec_env: Mapping[str, str], home: str) -> dict[str, str]:
    python_dir = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{python_dir}:{_BASE_PATH}",
        "HOME": home,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",  # the log keeps stdout and stderr in the order they happened
    }
    env.update(spec_env)
    return env


class SandboxRunner:
    """The container contract for a command run on the host (mount paths made real with bwrap)."""

    def __init__(self, settings: SiteSettings) -> None:
        self.settings = settings
        self._isolation_problem: str | None = None
        self._probed = False

    def isolation_problem(self) -> str | None:
        """Why isolation is unavailable here (None when bwrap works); probed once."""
        if not self._probed:
            self._isolation_problem = _probe_bwrap()
            self._probed = True
        return self._isolation_problem

    def _bwrap_command(self, spec: ContainerSpec, mounts: list[Mount], command: list[str]) -> list[str]:
        needed = [mount.mount_path for mount in mounts]
        args = ["bwrap", *_read_only_view("/", "/", [*needed, WORKSPACE])]
        args += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
        for python_root in _python_roots_under_tmp():  # the site's Python must stay visible
            args += ["--ro-bind", python_root, python_root]
        args += ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        if spec.source_dir is not None:
            args += _read_only_view(str(spec.source_dir.resolve()), WORKSPACE, needed)
        else:
            args += ["--dir", WORKSPACE]
        for mount in mounts:
            flag = "--ro-bind" if mount.read_only else "--bind"
            args += [flag, str(mount.host_path), mount.mount_path]
        args += ["--chdir", WORKSPACE, "--", *command]
        return args

    def _unisolated_command(self, spec: ContainerSpec, mounts: list[Mount], command: list[str]) -> list[str]:
        rewrites = [(m.mount_path, str(m.host_path)) for m in mounts]
        if spec.source_dir is not None:
            rewrites.append((WORKSPACE, str(spec.source_dir.resolve())))
        rewrites.sort(key=lambda pair: len(pair[0]), reverse=True)

        def rewrite(word: str) -> str:
            for mount_path, real in rewrites:
                if word == mount_path or word.startswith(mount_path + "/"):
                    return real + word[len(mount_path) :]
                if "=" in word and word.split("=", 1)[1].startswith(mount_path):
                    key, value = word.split("=", 1)
                    return f"{key}={rewrite(value)}"
            return word

        return [rewrite(word) for word in command]

    def run(
        self,
        spec: ContainerSpec,
        task: str,
        mounts: Mapping[str, Path],
        *,
        log_dir: Path,
        timeout_s: float | None = None,
    ) -> TaskResult:
        """Run one task as a sandboxed process; stdout and stderr go to the site's log file."""
        config = task_config(spec, task)
        resolved = resolve_mounts(spec, task, mounts)
        timeout = float(timeout_s if timeout_s is not None else self.settings.task_timeout_seconds)
        command = [*(config.run_args.entrypoint or ()), *config.run_args.command]
        problem = self.isolation_problem()
        log_path = new_log_path(log_dir, task)
        if problem is None:
            argv = self._bwrap_command(spec, resolved, command)
            env = _environment(config.run_args.environment, "/tmp")
            cwd = None
        elif self.settings.allow_unisolated:
            logger.warning("running task %s of %s UNISOLATED: %s", task, spec.name, problem)
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(f"[medperf] WARNING: running unisolated (network and host files reachable): {problem}\n")
            argv = self._unisolated_command(spec, resolved, command)
            env = _environment(config.run_args.environment, str(log_dir))
            cwd = str(spec.source_dir.resolve()) if spec.source_dir is not None else None
        else:
            raise ConfigError(
                f"cannot isolate container tasks on this site: {problem}; install bubblewrap or set "
                "MEDPERF_SITE_ALLOW_UNISOLATED=true to run them without isolation"
            )
        return self._execute(task, argv, env, cwd, log_path, timeout)

    def _execute(
        self, task: str, argv: list[str], env: dict[str, str], cwd: str | None, log_path: Path, timeout: float
    ) -> TaskResult:
        started = time.monotonic()
        timed_out = False
        with open(log_path, "ab") as log:
            try:
                process = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=cwd,
                    start_new_session=True,
                    preexec_fn=_limits(self.settings, timeout),
                )
            except OSError as err:
                raise ConfigError(
                    f"task '{task}': cannot start '{argv[0]}' ({err.strerror}); check the command"
                ) from None
            try:
                exit_code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(process.pid, signal.SIGKILL)
                exit_code = process.wait()
                log.write(f"\n[medperf] task '{task}' passed its timeout of {timeout:g}s and was killed\n".encode())
        duration = time.monotonic() - started
        if exit_code < 0:
            exit_code = 128 - exit_code
        return TaskResult(task, exit_code, log_path, log_tail(log_path), duration, timed_out)
