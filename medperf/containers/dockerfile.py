"""What a Dockerfile says where no image is built: where the code goes, what runs, its environment and cwd.

Read: COPY/ADD of files from the build context (shell and JSON forms; --chown/--chmod/--link are accepted
and have no effect here), WORKDIR, ENTRYPOINT, CMD, SHELL, ENV and ARG defaults (with $VAR / ${VAR}
substitution where Docker applies it). Refused, with one line naming the line: a second FROM (multi-stage
builds), COPY --from, ADD of a URL or of a tar archive (Docker unpacks it), heredocs. RUN and the rest do
not change where code is or what runs, so they are skipped. Without a Dockerfile, the code is at /workspace
and the task runs there (the flat layout of this project's examples).
"""

import json
import posixpath
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from medperf.errors import ConfigError
from medperf.input_files import read_text_file

DEFAULT_CODE_DIR = "/workspace"
DOCKER_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_IGNORED_COPY_FLAGS = ("--chown", "--chmod", "--link")
_ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst")
_VARIABLE = re.compile(
    r"\\\$|\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:[-+])?(?P<word>[^}]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


@dataclass(frozen=True)
class CopyStep:
    """One COPY/ADD: sources relative to the build context (globs allowed) and the absolute destination."""

    sources: tuple[str, ...]
    destination: str
    into_folder: bool  # the destination is a folder: it ends with '/' or there are several sources
    line: int


@dataclass(frozen=True)
class DockerfileFacts:
    """The facts of a Dockerfile a runner without an image needs."""

    copies: tuple[CopyStep, ...]
    workdir: str
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    path: Path | None = None

    @property
    def destinations(self) -> tuple[str, ...]:
        """Where the Dockerfile puts code (folders or files), in order."""
        return tuple(copy.destination for copy in self.copies)

    @property
    def where(self) -> str:
        """The Dockerfile's path for messages."""
        return str(self.path) if self.path is not None else "(no Dockerfile)"


NO_DOCKERFILE = DockerfileFacts(copies=(CopyStep((".",), DEFAULT_CODE_DIR, True, 0),), workdir=DEFAULT_CODE_DIR)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, instruction text) with continuations joined and comment lines dropped."""
    escape = "\\"
    lines = text.splitlines()
    for raw in lines:  # parser directives come first: `# escape=`` `
        match = re.match(r"^\s*#\s*escape\s*=\s*(\S)\s*$", raw)
        if match:
            escape = match.group(1)
            break
        if not re.match(r"^\s*#\s*\w+\s*=", raw):
            break
    result: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and current):
            continue
        if not current:
            start = number
        if stripped.endswith(escape):
            current.append(stripped[: -len(escape)])
            continue
        current.append(stripped)
        joined = " ".join(part for part in current if part).strip()
        current = []
        if joined:
            result.append((start, joined))
    if current:
        result.append((start, " ".join(current).strip()))
    return result


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.args: dict[str, str] = {}
        self.env: dict[str, str] = {}
        self.workdir = "/"
        self.shell: tuple[str, ...] = ("/bin/sh", "-c")
        self.entrypoint: tuple[str, ...] | None = None
        self.cmd: tuple[str, ...] | None = None
        self.copies: list[CopyStep] = []
        self.stages = 0

    def fail(self, line: int, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: line {line}: {problem}")

    def substitute(self, value: str) -> str:
        known = {"PATH": DOCKER_DEFAULT_PATH, **self.args, **self.env}  # a base image's PATH is Docker's default

        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "\\$":
                return "$"
            name = match.group("braced") or match.group("plain")
            current = known.get(name, "")
            if match.group("op") == ":-":
                return current or match.group("word")
            if match.group("op") == ":+":
                return match.group("word") if current else ""
            return current

        return _VARIABLE.sub(replace, value)

    def exec_form(self, rest: str, line: int, what: str) -> tuple[str, ...]:
        if rest.startswith("["):
            try:
                words = json.loads(rest)
            except json.JSONDecodeError:
                words = None
            if isinstance(words, list) and all(isinstance(word, str) for word in words):
                return tuple(words)
            raise self.fail(line, f"{what}: not a JSON list of strings; write {what} [\"python3\", \"/app/x.py\"]")
        return (*self.shell, rest)

    def env_pairs(self, rest: str, line: int) -> dict[str, str]:
        try:
            words = shlex.split(rest, posix=True)
        except ValueError as err:
            raise self.fail(line, f"ENV: cannot read ({err})") from None
        if words and "=" not in words[0]:  # legacy form: ENV NAME the rest is the value
            name, _, value = rest.partition(" ")
            return {name: self.substitute(value.strip())}
        pairs: dict[str, str] = {}
        for word in words:
            name, sep, value = word.partition("=")
            if not sep or not name:
                raise self.fail(line, f"ENV: '{word}' is not NAME=value")
            pairs[name] = self.substitute(value)
        return pairs

    def copy(self, instruction: str, rest: str, line: int) -> None:
        if "<<" in rest:
            raise self.fail(line, f"{instruction}: heredocs are not supported; put the content in a file and COPY it")
        words = rest.split()
        while words and words[0].startswith("--"):
            flag = words.pop(0)
            name = flag.split("=", 1)[0]
            if name == "--from":
                raise self.fail(
                    line, f"{instruction} --from: multi-stage builds are not supported; copy from the project"
                )
            if name not in _IGNORED_COPY_FLAGS:
                raise self.fail(line, f"{instruction} {name}: flag not supported (only --chown, --chmod, --link)")
        body = " ".join(words)
        if body.startswith("["):
            try:
                parsed = json.loads(body)
            except json.JSONDecodeError:
                parsed = None
            if not (isinstance(parsed, list) and all(isinstance(word, str) for word in parsed)):
                raise self.fail(line, f"{instruction}: not a JSON list of strings")
            words = list(parsed)
        words = [self.substitute(word) for word in words]
        if len(words) < 2:
            raise self.fail(line, f"{instruction}: give at least one source and a destination")
        *sources, destination = words
        for source in sources:
            if instruction == "ADD" and ("://" in source or source.startswith("git@")):
                raise self.fail(
                    line, f"ADD {source}: downloads are not supported; put the file in the project and COPY it"
                )
            if instruction == "ADD" and source.lower().endswith(_ARCHIVE_SUFFIXES):
                raise self.fail(
                    line, f"ADD {source}: Docker would unpack this archive; unpack it in the project and COPY it"
                )
            if ".." in posixpath.normpath(source.lstrip("/")).split("/"):
                raise self.fail(line, f"{instruction} {source}: is outside the build context")
        into_folder = destination.endswith("/") or len(sources) > 1
        absolute = posixpath.normpath(posixpath.join(self.workdir, destination))
        cleaned = tuple(posixpath.normpath(source.lstrip("/")) or "." for source in sources)
        self.copies.append(CopyStep(cleaned, absolute, into_folder, line))

    def instruction(self, line: int, text: str) -> None:
        keyword, _, rest = text.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            self.stages += 1
            if self.stages > 1:
                raise self.fail(line, "a second FROM: multi-stage builds are not supported; build in one stage")
        elif keyword == "ARG":
            name, sep, value = rest.partition("=")
            self.args.setdefault(name.strip(), self.substitute(value.strip().strip("\"'")) if sep else "")
        elif keyword == "ENV":
            self.env.update(self.env_pairs(rest, line))
        elif keyword == "WORKDIR":
            self.workdir = posixpath.normpath(posixpath.join(self.workdir, self.substitute(rest.strip("\"'"))))
        elif keyword in ("COPY", "ADD"):
            self.copy(keyword, rest, line)
        elif keyword == "SHELL":
            self.shell = self.exec_form(rest, line, "SHELL") if rest.startswith("[") else self.shell
        elif keyword == "ENTRYPOINT":
            self.entrypoint = self.exec_form(rest, line, "ENTRYPOINT")
        elif keyword == "CMD":
            self.cmd = self.exec_form(rest, line, "CMD")

    def facts(self, text: str) -> DockerfileFacts:
        for line, instruction in _logical_lines(text):
            self.instruction(line, instruction)
        if self.stages == 0:
            raise ConfigError(f"{self.path}: no FROM line; a Dockerfile starts FROM its base image")
        return DockerfileFacts(
            copies=tuple(self.copies),
            workdir=self.workdir,
            entrypoint=self.entrypoint,
            cmd=self.cmd,
            env=dict(self.env),
            path=self.path,
        )


def parse_dockerfile(text: str, path: Path) -> DockerfileFacts:
    """The facts of a Dockerfile's text; ConfigError naming the file and line for what is not supported."""
    return _Reader(path).facts(text)


def load_dockerfile(path: Path | None) -> DockerfileFacts:
    """The facts of the Dockerfile at path (NO_DOCKERFILE when there is none)."""
    if path is None:
        return NO_DOCKERFILE
    return parse_dockerfile(read_text_file(path, "Dockerfile"), path)
