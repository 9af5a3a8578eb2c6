"""Shared task options: local result storage on the site and cache keys from input hashes."""

from pathlib import Path
from typing import Any

from prefect.context import TaskRunContext

from medperf.settings import SiteSettings
from medperf.site.step_keys import result_dir


def by_step_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """The cache key a step was given: built by the flow from the hashes of its inputs only."""
    return str(parameters["step_key"])


def site_result_storage(settings: SiteSettings) -> Path:
    """Task results persist in a folder on the site machine (a Path: no storage block on the server)."""
    path = result_dir(settings.data_root)
    path.mkdir(parents=True, exist_ok=True)
    return path
