"""A container's own Python environment on a site: one cached, content-addressed venv per requirement set.

The sandbox never runs a container in the site's own environment. A project declares its Python packages in
requirements.txt (project/requirements.txt, else at the top); the site builds one environment per set, keyed
by the sha256 of the normalised requirements and the site's base interpreter (version and path), with
`uv venv --relocatable --python <base interpreter>` and `uv pip install -r` using the site's package index
settings (medperf.containers.pip_index). It is built in a temporary folder and renamed into place under a
file lock, so two site processes building the same set at once do not collide. No requirements.txt gives a
bare environment (the standard library only). A requirements file lists plain requirements (pins, ranges,
`--hash` options); lines that change where packages come from or pull in other files (-r, -c, -e, -i,
--index-url, --find-links, local paths) are refused: the site decides where packages come from.
"""

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from medperf.containers.pip_index import UvIndexOptions, uv_index_options
from medperf.errors import ConfigError
from medperf.input_files import read_text_file

REQUIREMENTS_FILE = "requirements.txt"
_MARKER = ".medperf-env.json"
_BUILD_TIMEOUT_S = 1800
_HASH_OPTION = re.compile(r"^--hash=[a-z0-9]+:[0-9a-fA-F]+$")


@dataclass(frozen=True)
class PythonEnv:
    """A built environment: its folder, its bin/ and the interpreter installation it runs on."""

    root: Path
    key: str
    interpreter_prefix: Path

    @property
    def bin_dir(self) -> Path:
        """The env's bin/ (first on the task's PATH)."""
        return self.root / "bin"


def site_interpreter() -> Path:
    """The site's base interpreter (not a venv's): what every container environment is created from."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    return Path(os.path.realpath(base))


def interpreter_prefix() -> Path:
    """The installation folder of the site's base interpreter (made visible read-only in the sandbox)."""
    return Path(os.path.realpath(sys.base_prefix))


def find_requirements(project: Path | None) -> Path | None:
    """project/requirements.txt, else requirements.txt at the top of the project, else None."""
    if project is None:
        return None
    for candidate in (project / "project" / REQUIREMENTS_FILE, project / REQUIREMENTS_FILE):
        if candidate.is_file():
            return candidate
    return None


def read_requirements(path: Path | None) -> list[str]:
    """The requirement lines of a requirements.txt, normalised (comments and blank lines out, sorted)."""
    if path is None:
        return []
    text = read_text_file(path, "requirements file")
    logical: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined = " ".join((pending + line).split())
        pending = ""
        if joined:
            logical.append((start, joined))
    if pending.strip():
        logical.append((start, " ".join(pending.split())))
    lines: list[str] = []
    for number, line in logical:
        requirement, *options = line.split(" ")
        if requirement.startswith("-") or requirement.startswith((".", "/", "file:")):
            raise ConfigError(
                f"{path}: line {number}: '{requirement}' is not supported; list plain requirements such as "
                "numpy==1.26.4 (the site chooses the package index)"
            )
        bad = [option for option in options if option.startswith("-") and not _HASH_OPTION.match(option)]
        if bad:
            raise ConfigError(f"{path}: line {number}: '{bad[0]}' is not supported; only --hash=... may follow")
        lines.append(line)
    return sorted(lines)


def env_key(requirements: list[str], interpreter: Path) -> str:
    """The content address of an environment: its requirements and the interpreter it is built on."""
    facts = {"requirements": requirements, "python": sys.version, "interpreter": str(interpreter)}
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def uv_binary() -> str:
    """The uv executable (the `uv` package's, else uv on PATH)."""
    try:
        import uv

        found = str(uv.find_uv_bin())
        if found:
            return found
    except (ImportError, FileNotFoundError):
        pass
    on_path = shutil.which("uv")
    if on_path is None:
        raise ConfigError("uv is not installed; install the medperf package's dependencies (pip install uv)")
    return on_path


def last_message(output: str) -> str:
    """uv's last message as one line: its last unindented-label line ("cause: ...") and the lines it wraps onto."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    if not lines:
        return ""
    start = len(lines) - 1
    while start > 0 and _indent(lines[start - 1]) == _indent(lines[start]) > 0:  # wrapped lines of one message
        start -= 1
    if start > 0 and _indent(lines[start - 1]) < _indent(lines[start]):  # the label line they continue
        start -= 1
    return " ".join(line.strip() for line in lines[start:])


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _run_uv(args: list[str], requirements: Path | None, env: dict[str, str]) -> None:
    env = {**env, "COLUMNS": "100000"}  # uv wraps its messages at the terminal's width: one line each
    try:
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=_BUILD_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        last = f"no answer within {_BUILD_TIMEOUT_S}s"
    except OSError as err:
        last = f"cannot start uv ({err.strerror})"
    else:
        if done.returncode == 0:
            return
        last = last_message(done.stderr or done.stdout) or f"exit code {done.returncode}"
    where = str(requirements) if requirements is not None else "the bare environment (no requirements.txt)"
    raise ConfigError(f"{where}: cannot build the container's Python environment: {last}")


def _build(folder: Path, lines: list[str], requirements: Path | None, interpreter: Path) -> None:
    uv = uv_binary()
    index = uv_index_options() if lines else UvIndexOptions()
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.update(index.env)
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    _run_uv([uv, "venv", "--quiet", "--relocatable", "--no-config", "--python", str(interpreter), str(folder)],
            requirements, env)
    if lines:
        pinned = folder / ".medperf-requirements.txt"
        pinned.write_text("\n".join(lines) + "\n", encoding="utf-8")
        _run_uv([uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", str(folder / "bin" / "python"),
                 *index.args, "-r", str(pinned)], requirements, env)


def ensure_python_env(requirements: Path | None, cache: Path) -> PythonEnv:
    """The environment for a requirements file (None: bare), built once per content under cache."""
    lines = read_requirements(requirements)
    interpreter = site_interpreter()
    key = env_key(lines, interpreter)
    final = cache / key[:32]
    env = PythonEnv(final, key, interpreter_prefix())
    if (final / _MARKER).is_file():
        return env
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f".{key[:32]}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / _MARKER).is_file():
            return env
        staging = Path(tempfile.mkdtemp(prefix=f".{key[:32]}-", dir=cache))
        try:
            _build(staging / "env", lines, requirements, interpreter)
            marker = {"key": key, "requirements": lines, "python": sys.version, "interpreter": str(interpreter)}
            (staging / "env" / _MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")
            if final.exists():  # a folder left without its marker (an interrupted copy by hand): replace it
                shutil.rmtree(final)
            (staging / "env").rename(final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return env
