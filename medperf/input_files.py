"""Reading files a user or a container hands us: regular files only, size-capped, UTF-8, one clear line."""

import json
import os
import stat
from pathlib import Path
from typing import Any

from medperf.errors import ConfigError

DEFAULT_MAX_BYTES = 4 * 1024 * 1024


def file_kind(mode: int) -> str:
    """What a non-regular entry is, for a one-line error ("a FIFO (named pipe)", "a socket", ...)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    return "not a regular file"


def read_regular_bytes(
    path: Path, what: str, max_bytes: int = DEFAULT_MAX_BYTES, *, follow_symlinks: bool = True
) -> bytes:
    """The bytes of a regular file of at most max_bytes; never blocks on a FIFO, never reads a device.

    With follow_symlinks=False (files a container wrote) a symlink is refused instead of read.
    """
    try:
        info = os.stat(path, follow_symlinks=follow_symlinks)
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist; check the path") from None
    except OSError as err:
        raise ConfigError(f"{what} {path}: cannot read ({err.strerror}); check the path") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{what} {path} is {file_kind(info.st_mode)}, not a file; give a regular file")
    nofollow = 0 if follow_symlinks else os.O_NOFOLLOW
    if info.st_size > max_bytes:
        raise ConfigError(f"{what} {path} is larger than {max_bytes} bytes; it is too large to read")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | nofollow)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped since the stat above
                raise ConfigError(f"{what} {path} is not a regular file; give a regular file")
            data = handle.read(max_bytes + 1)
    except OSError as err:
        raise ConfigError(f"{what} {path}: cannot read ({err.strerror}); check the permissions") from None
    if len(data) > max_bytes:
        raise ConfigError(f"{what} {path} is larger than {max_bytes} bytes; it is too large to read")
    return data


def read_text_file(
    path: Path, what: str, max_bytes: int = DEFAULT_MAX_BYTES, *, follow_symlinks: bool = True
) -> str:
    """A regular file's text, which must be UTF-8; ConfigError naming the file otherwise."""
    data = read_regular_bytes(path, what, max_bytes, follow_symlinks=follow_symlinks)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{what} {path} is not UTF-8 text (byte {err.start}); save it as UTF-8"
        ) from None


def as_mapping(data: object, path: Path, what: str) -> dict[str, Any]:
    """The parsed top level as a mapping with text keys; ConfigError naming the file otherwise."""
    if not isinstance(data, dict):
        found = "nothing" if data is None else type(data).__name__
        raise ConfigError(f"{what} {path} must contain a mapping at the top level, found {found}")
    return {str(key): value for key, value in data.items()}


def read_json_mapping(path: Path, what: str, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Parse a JSON file whose top level is an object; ConfigError naming the file (and line) otherwise."""
    text = read_text_file(path, what, max_bytes)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{what} {path} is not valid JSON at line {exc.lineno}: {exc.msg}") from None
    except RecursionError:
        raise ConfigError(f"{what} {path} is nested too deeply to read; flatten it") from None
    return as_mapping(data, path, what)
