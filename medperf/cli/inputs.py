"""Reading the files and flags a user passes: one clear line naming the file or flag when they are wrong."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from medperf.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def _readable(path: Path, what: str) -> str:
    if not path.exists():
        raise ConfigError(f"{what} {path} does not exist; check the path")
    if not path.is_file():
        raise ConfigError(f"{what} {path} is not a file")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from exc


def _mapping(data: object, path: Path, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        found = "nothing" if data is None else type(data).__name__
        raise ConfigError(f"{what} {path} must contain a mapping at the top level, found {found}")
    return {str(key): value for key, value in data.items()}


def read_yaml_mapping(path: Path, what: str) -> dict[str, Any]:
    """Parse a YAML file whose top level is a mapping; ConfigError naming the file (and line) otherwise."""
    text = _readable(path, what)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError(f"{what} {path} is not valid YAML{where}: {problem}") from exc
    return _mapping(data, path, what)


def read_json_mapping(path: Path, what: str) -> dict[str, Any]:
    """Parse a JSON file whose top level is an object; ConfigError naming the file (and line) otherwise."""
    text = _readable(path, what)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{what} {path} is not valid JSON at line {exc.lineno}: {exc.msg}") from exc
    return _mapping(data, path, what)


def validated(model: type[M], data: Mapping[str, Any], *, source: str, flags: Mapping[str, str] | None = None) -> M:
    """Build a schema model from user input; ConfigError naming the flag or the file field that is wrong."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(part) for part in error["loc"]]
        field = flags.get(loc[0], loc[0]) if flags and loc else ".".join(loc)
        if flags and len(loc) > 1:
            field = f"{field} ({'.'.join(loc[1:])})"
        raise ConfigError(f"invalid {field} in {source}: {error['msg']}") from exc
