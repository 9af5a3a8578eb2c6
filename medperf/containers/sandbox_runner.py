"""Run a container's task as a local process isolated with bubblewrap (or, if allowed, unisolated).

The sandbox shows ONLY: the system folders (/usr, /bin, /sbin, /lib*, /etc without its secrets), a private
/tmp, /proc and /dev, the project's code where its Dockerfile copies it (read-only), the container's own
Python environment and the site interpreter's installation it runs on (read-only), and the task's mounts.
Never /, the site's home, $MEDPERF_HOME, the data root or other datasets. There is no network, no
capability, and the root is read-only (a task writes to its outputs and /tmp). argv, environment and working
folder follow Docker's rules for an image built from the project's Dockerfile (medperf.containers.image_view).
"""

import logging
import os
import re
import resource
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from medperf.containers.config import check_code_destinations
from medperf.containers.dockerfile import DockerfileFacts
from medperf.containers.image_view import CodeBind, code_binds, rewrite_paths, task_argv, task_environment
from medperf.containers.mounts import Mount, resolve_mounts, task_config
from medperf.containers.project_layout import find_layout
from medperf.containers.python_env import PythonEnv, ensure_python_env
from medperf.containers.spec import ContainerSpec, TaskResult
from medperf.containers.task_log import log_tail, new_log_path
from medperf.errors import ConfigError
from medperf.settings import SiteSettings, default_home

logger = logging.getLogger(__name__)

SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
# What of /etc a task never sees: password hashes, sudo rules, host keys, private keys, credentials of
# package indexes and of the container engines.
ETC_SECRETS = (
    "/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers", "/etc/sudoers.d",
    "/etc/ssh", "/etc/ssl/private", "/etc/pki/tls/private", "/etc/security/opasswd", "/etc/krb5.keytab",
    "/etc/pip.conf", "/etc/xdg/pip", "/etc/uv", "/etc/apt/auth.conf", "/etc/apt/auth.conf.d", "/etc/docker",
    "/etc/containers/auth.json", "/etc/netrc", "/etc/medperf",
)  # fmt: skip


OUT_OF_MEMORY = re.compile(r"MemoryError\b|std::bad_alloc|Cannot allocate memory|[Oo]ut of memory")


@dataclass(frozen=True)
class _Bind:
    """One host path shown at a path in the sandbox."""

    source: Path
    target: str
    writable: bool = False


# bwrap binaries that created their namespaces in this process: a site's tasks do not probe again each.
_WORKING_BWRAP: set[str] = set()


def _probe_bwrap() -> str | None:
    """None when bwrap can create its namespaces here, else the reason it cannot (a failure is probed again)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bwrap (bubblewrap) is not installed"
    if bwrap in _WORKING_BWRAP:
        return None
    probe = subprocess.run(
        [bwrap, "--ro-bind", "/", "/", "--unshare-all", "--cap-drop", "ALL", "true"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if probe.returncode != 0:
        return f"bwrap cannot create namespaces here ({probe.stderr.strip() or probe.returncode})"
    _WORKING_BWRAP.add(bwrap)
    return None


def _wait(process: "subprocess.Popen[bytes]", timeout: float) -> int:
    """process.wait(timeout) without its polling (sleeps of up to 50 ms): woken by a pidfd when the task exits."""
    try:
        pidfd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):  # no pidfd here (not Linux, old kernel): Popen's own polling wait
        return process.wait(timeout=timeout)
    try:
        exited, _, _ = select.select([pidfd], [], [], timeout)
    finally:
        os.close(pidfd)
    if not exited:
        raise subprocess.TimeoutExpired(process.args, timeout)
    return process.wait()


def _limits(settings: SiteSettings, timeout_s: float) -> Callable[[], None]:
    memory = settings.memory_limit_mb * 1024 * 1024
    cpu_seconds = int(timeout_s * max(settings.cpu_limit, 1.0)) + 5

    def apply() -> None:  # runs in the child between fork and exec
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_NPROC, (settings.pids_limit, settings.pids_limit))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _under(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip("/") + "/")


def _read_only_view(source: str, target: str, needed: list[str], tmpfs: list[str]) -> list[str]:
    """bwrap args showing source read-only at target, with room to create the needed mount points below it.

    A folder that must hold a new mount point becomes a tmpfs whose entries are bound one by one (a read-only
    bind cannot take new mount points); every other folder is bound whole. Each tmpfs is recorded in tmpfs
    (made read-only once every mount is in place).
    """
    inner = [path for path in needed if _under(path, target)]
    if not inner:
        return ["--ro-bind", source, target]
    tmpfs.append(target)
    args = ["--tmpfs", target]
    for entry in sorted(os.listdir(source)):
        child_source, child_target = os.path.join(source, entry), os.path.join(target, entry)
        if os.path.islink(child_source):
            args += ["--symlink", os.readlink(child_source), child_target]
        elif os.path.isdir(child_source):
            args += _read_only_view(child_source, child_target, inner, tmpfs)
        elif os.path.isfile(child_source):
            args += ["--ro-bind", child_source, child_target]
    return args


def _bind_args(binds: list[_Bind], tmpfs: list[str]) -> list[str]:
    """bwrap args for binds in order; a read-only folder with later binds below it becomes a view."""
    args: list[str] = []
    for index, bind in enumerate(binds):
        if bind.writable:
            args += ["--bind", str(bind.source), bind.target]
            continue
        later = [other.target for other in binds[index + 1 :] if _under(other.target, bind.target)]
        if bind.source.is_dir() and later:
            args += _read_only_view(str(bind.source), bind.target, later, tmpfs)
        else:
            args += ["--ro-bind", str(bind.source), bind.target]
    return args


def _system_binds() -> tuple[list[str], list[_Bind]]:
    """(symlink args, binds) of the system folders that exist here (merged-/usr symlinks kept)."""
    links: list[str] = []
    binds: list[_Bind] = []
    for folder in SYSTEM_FOLDERS:
        if os.path.islink(folder):
            links += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            binds.append(_Bind(Path(folder), folder))
    return links, binds


def _empty_file(folder: Path) -> Path:
    """An empty regular file to show in place of a secret (a bound /dev/null cannot be opened: nodev)."""
    path = folder / ".medperf-empty"
    if not path.is_file() or path.stat().st_size:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
        path.chmod(0o444)
    return path


def _hide_secrets(tmpfs: list[str], empty: Path) -> list[str]:
    args: list[str] = []
    for path in ETC_SECRETS:
        if os.path.islink(path) or not os.path.lexists(path):
            continue
        if os.path.isdir(path):
            args += ["--tmpfs", path]
            tmpfs.append(path)
        else:
            args += ["--ro-bind", str(empty), path]
    return args


def _is_visible(path: Path) -> bool:
    real = str(path)
    return any(real == folder or _under(real, folder) for folder in SYSTEM_FOLDERS if not os.path.islink(folder))


def _refuse_exposing(binds: list[_Bind], private: dict[str, Path]) -> None:
    """ConfigError when a read-only bind would show the site's home, $MEDPERF_HOME or data root whole."""
    for bind in binds:
        if bind.writable:
            continue
        for what, folder in private.items():
            if folder == bind.source or bind.source in folder.parents:
                raise ConfigError(
                    f"{bind.source}: the sandbox would show it at {bind.target}, and it holds {what} ({folder}); "
                    "keep container projects, Python and MEDPERF_SITE_ENV_CACHE outside those folders"
                )


@dataclass(frozen=True)
class _Plan:
    """What one task run needs: argv and environment (container view), code binds, mounts, cwd."""

    argv: list[str]
    env: dict[str, str]
    code: list[CodeBind]
    mounts: list[Mount]
    workdir: str
    python: PythonEnv


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

    def _plan(self, spec: ContainerSpec, task: str, mounts: Mapping[str, Path]) -> _Plan:
        config = task_config(spec, task)
        layout = find_layout(spec.source_dir) if spec.source_dir is not None else None
        facts: DockerfileFacts = layout.dockerfile_facts() if layout is not None else _no_code_facts()
        check_code_destinations(spec.config, facts.destinations, f"container '{spec.name}'")
        code = code_binds(facts, layout.build_context) if layout is not None else []
        python = ensure_python_env(layout.requirements if layout is not None else None, self.settings.env_cache)
        argv = task_argv(facts, config, spec.name)
        env = task_environment(facts, config, python.bin_dir)
        resolved = resolve_mounts(spec, task, mounts)
        return _Plan(argv, env, code, resolved, facts.workdir, python)

    def _bwrap_command(self, plan: _Plan) -> list[str]:
        tmpfs: list[str] = []
        links, system = _system_binds()
        args = ["bwrap", *links, *_bind_args(system, tmpfs)]
        args += _hide_secrets(tmpfs, _empty_file(self.settings.env_cache))
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        binds: list[_Bind] = []
        for root in (plan.python.interpreter_prefix, plan.python.root.resolve()):
            if not _is_visible(root):
                binds.append(_Bind(root, str(root)))
        for bind in sorted(plan.code, key=lambda bind: bind.target.count("/")):  # deeper COPYs show over shallower
            source = bind.host_path.resolve()
            if bind.target == "/" and source.is_dir():  # `COPY . /`: the entries, beside the system folders
                binds += [_Bind(source / entry, f"/{entry}") for entry in sorted(os.listdir(source))]
            else:
                binds.append(_Bind(source, bind.target))
        private = {"the home folder": Path.home(), "$MEDPERF_HOME": default_home(), "the site's data root":
                   self.settings.data_root}  # fmt: skip
        _refuse_exposing(binds, {what: Path(os.path.realpath(folder)) for what, folder in private.items()})
        binds += [_Bind(m.host_path, m.mount_path, writable=not m.read_only) for m in plan.mounts]
        args += _bind_args(binds, tmpfs)
        covered = [bind.target for bind in binds]
        if not any(plan.workdir == target or _under(plan.workdir, target) for target in covered):
            args += ["--dir", plan.workdir]
        for folder in tmpfs:
            args += ["--remount-ro", folder]
        args += ["--remount-ro", "/"]
        args += ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        args += ["--chdir", plan.workdir, "--", *plan.argv]
        return args

    def _unisolated(self, plan: _Plan, log_dir: Path) -> tuple[list[str], dict[str, str], str | None]:
        places = {bind.target: str(bind.host_path.resolve()) for bind in plan.code if bind.target != "/"}
        places.update({m.mount_path: str(m.host_path) for m in plan.mounts})
        argv = rewrite_paths(plan.argv, places)
        env = {**plan.env, "HOME": str(log_dir)}
        (workdir,) = rewrite_paths([plan.workdir], places)
        return argv, env, workdir if os.path.isdir(workdir) else None

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
        problem = self.isolation_problem()
        if problem is not None and not self.settings.allow_unisolated:
            task_config(spec, task)
            raise ConfigError(
                f"cannot isolate container tasks on this site: {problem}; install bubblewrap or set "
                "MEDPERF_SITE_ALLOW_UNISOLATED=true to run them without isolation"
            )
        plan = self._plan(spec, task, mounts)
        timeout = float(timeout_s if timeout_s is not None else self.settings.task_timeout_seconds)
        log_path = new_log_path(log_dir, task)
        if problem is None:
            return self._execute(task, self._bwrap_command(plan), plan.env, None, log_path, timeout)
        logger.warning("running task %s of %s UNISOLATED: %s", task, spec.name, problem)
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(f"[medperf] WARNING: running unisolated (network and host files reachable): {problem}\n")
        argv, env, cwd = self._unisolated(plan, log_dir)
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
                exit_code = _wait(process, timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(process.pid, signal.SIGKILL)
                exit_code = process.wait()
                log.write(f"\n[medperf] task '{task}' passed its timeout of {timeout:g}s and was killed\n".encode())
        duration = time.monotonic() - started
        if exit_code < 0:
            exit_code = 128 - exit_code
        tail = log_tail(log_path)
        out_of_memory = exit_code != 0 and not timed_out and ran_out_of_memory(tail)
        return TaskResult(task, exit_code, log_path, tail, duration, timed_out,
                          self.settings.memory_limit_mb if out_of_memory else None)


def ran_out_of_memory(log_tail: str) -> bool:
    """Whether a failed task's last lines say an allocation failed (the address-space limit a sandboxed task
    runs under makes allocations fail rather than the process being killed): Python's MemoryError (numpy's
    _ArrayMemoryError too), C++'s std::bad_alloc, or ENOMEM's message. Only this yes/no leaves the log."""
    return OUT_OF_MEMORY.search(log_tail) is not None


def _no_code_facts() -> DockerfileFacts:
    """A container without source: nothing copied, runs in /workspace (an empty folder)."""
    return DockerfileFacts(copies=(), workdir="/workspace")
