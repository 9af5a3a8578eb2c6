"""Checking a container_config payload: the full parser when present, else the minimal shape."""

from typing import Any

from medperf.errors import ConfigError
from medperf.server.services.errors import Invalid

KNOWN_TASKS = frozenset({"prepare", "sanity_check", "statistics", "infer", "evaluate"})


def check_container_config(config: dict[str, Any]) -> None:
    """Raise Invalid naming the offending field unless `config` is a valid container_config."""
    tasks = config.get("tasks")
    if not isinstance(tasks, dict) or not tasks:
        raise Invalid("config.tasks: must be a non-empty mapping of task name -> task definition")
    unknown = sorted(str(name) for name in tasks if name not in KNOWN_TASKS)
    if unknown:
        raise Invalid(f"config.tasks: unknown task(s) {unknown}; known: {sorted(KNOWN_TASKS)}")
    for name, task in tasks.items():
        if not isinstance(task, dict):
            raise Invalid(f"config.tasks.{name}: must be a mapping")
    try:
        from medperf.containers.config import parse_container_config
    except ImportError:
        return
    try:
        parse_container_config(config)
    except (ConfigError, ValueError, TypeError, KeyError) as err:
        raise Invalid(f"config: {err}") from err
