"""The site's settings as `medperf site up` saved them in the site home, so later commands need only MEDPERF_HOME."""

import json
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from medperf.atomic_file import write_atomic
from medperf.errors import ConfigError
from medperf.settings import SiteSettings

SITE_FILE = "site.json"
ENV_PREFIX = "MEDPERF_SITE_"
REQUIRED = ("name", "data_root")  # without these a command would look at the wrong site's runs


def site_file(home: Path) -> Path:
    """$MEDPERF_HOME/site.json."""
    return home / SITE_FILE


def save_site_settings(home: Path, settings: SiteSettings) -> Path:
    """Write the site's settings (no secrets: names, paths, limits) to the site home, mode 0600."""
    path = site_file(home)
    return write_atomic(path, json.dumps(settings.model_dump(mode="json"), indent=2, sort_keys=True))


def _saved(home: Path) -> dict[str, Any]:
    path = site_file(home)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ConfigError(f"{path}: not readable site settings ({err}); run `medperf site up` again") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not readable site settings; run `medperf site up` again")
    return data


def saved_for(home: Path, site: str) -> dict[str, Any]:
    """What `site up` saved earlier for this site (not for another one), minus settings the environment sets."""
    saved = _saved(home)
    if saved.get("name") != site:
        return {}
    return {
        key: value
        for key, value in saved.items()
        if key in SiteSettings.model_fields and f"{ENV_PREFIX}{key.upper()}" not in os.environ
    }


def site_settings_env(settings: SiteSettings) -> dict[str, str]:
    """The settings as MEDPERF_SITE_* variables, for a flow run in this process or a child process."""
    values = settings.model_dump(mode="json", exclude_none=True)
    return {f"{ENV_PREFIX}{key.upper()}": str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in values.items()}


def load_site_settings(home: Path) -> SiteSettings:
    """The site's settings: MEDPERF_SITE_* variables first, then what `site up` saved, then the defaults.

    A setting a command cannot guess (the site's name and data root) missing from both is a one-line
    ConfigError saying which and how to set it.
    """
    saved = _saved(home)
    missing = [key for key in REQUIRED if key not in saved and f"{ENV_PREFIX}{key.upper()}" not in os.environ]
    if missing:
        variables = ", ".join(f"{ENV_PREFIX}{key.upper()}" for key in missing)
        raise ConfigError(
            f"this machine's site settings are unknown ({variables} not set and no {site_file(home)}); run "
            "`medperf site up --site NAME --data-root PATH` with this MEDPERF_HOME, or export " + variables
        )
    from_file = saved_for(home, str(saved["name"])) if "name" in saved else {}
    try:
        return SiteSettings(**from_file)
    except ValidationError as err:
        field = ".".join(str(part) for part in err.errors()[0]["loc"])
        where = site_file(home)
        raise ConfigError(f"{where}: site setting {field!r} is invalid; run `medperf site up` again") from None
