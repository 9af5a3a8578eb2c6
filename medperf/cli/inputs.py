"""Reading the files and flags a user passes: one clear line naming the file or flag when they are wrong."""

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from medperf.errors import ConfigError
from medperf.input_files import read_json_mapping
from medperf.safe_yaml import read_yaml_mapping

__all__ = ["read_json_mapping", "read_yaml_mapping", "validated"]

M = TypeVar("M", bound=BaseModel)


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
