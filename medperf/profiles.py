"""Named connection profiles (server URL + token) in $MEDPERF_HOME/profiles.yaml, mode 0600."""

import os
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError

from medperf.atomic_file import write_atomic
from medperf.errors import ConfigError
from medperf.settings import default_home

PROFILES_FILE = "profiles.yaml"
PROFILE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
DEFAULT_PROFILE = "default"


class Profile(BaseModel):
    """One identity on one server."""

    server_url: str = Field(min_length=1)
    token: str = Field(min_length=1)


class ProfilesConfig(BaseModel):
    """The whole profiles file: the active profile's name and every profile by name."""

    active: str | None = None
    profiles: dict[str, Profile] = Field(default_factory=dict)


class ProfileStore:
    """Reads and writes the profiles file; the file is only ever readable by its owner."""

    def __init__(self, home: Path | None = None) -> None:
        self.path = (home or default_home()) / PROFILES_FILE

    def load(self) -> ProfilesConfig:
        """The profiles file, or an empty config when it does not exist yet."""
        if not self.path.exists():
            return ProfilesConfig()
        try:
            raw = yaml.safe_load(self.path.read_text(encoding="utf-8"))
            return ProfilesConfig.model_validate(raw or {})
        except (yaml.YAMLError, ValidationError, OSError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ConfigError(f"{self.path} is not a valid profiles file ({first}); fix or delete it") from exc

    def save(self, config: ProfilesConfig) -> None:
        """Write the file atomically with mode 0600 (it holds tokens)."""
        write_atomic(self.path, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=True))

    def names(self) -> list[str]:
        """Names of the stored profiles, sorted."""
        return sorted(self.load().profiles)

    def resolve(self, name: str | None = None) -> tuple[str, Profile]:
        """The named profile, else $MEDPERF_PROFILE, else the active one; ConfigError when there is none."""
        config = self.load()
        chosen = name or os.environ.get("MEDPERF_PROFILE") or config.active
        if not chosen:
            raise ConfigError("no MedPerf profile yet: run `medperf auth login --token T --server URL`")
        profile = config.profiles.get(chosen)
        if profile is None:
            known = ", ".join(sorted(config.profiles)) or "none"
            raise ConfigError(
                f"unknown profile {chosen!r} in {self.path} (known: {known}); "
                f"create it with `medperf auth login --profile {chosen} ...`"
            )
        return chosen, profile

    def put(self, name: str, profile: Profile, *, activate: bool = True) -> None:
        """Add or replace a profile, and make it the active one unless told otherwise."""
        check_profile_name(name)
        config = self.load()
        config.profiles[name] = profile
        if activate or config.active is None:
            config.active = name
        self.save(config)

    def use(self, name: str) -> Profile:
        """Make an existing profile the active one."""
        chosen, profile = self.resolve(name)
        config = self.load()
        config.active = chosen
        self.save(config)
        return profile


def check_profile_name(name: str) -> None:
    """A profile name is a short word (letters, digits, . _ -); ConfigError otherwise."""
    if not re.fullmatch(PROFILE_NAME, name):
        raise ConfigError(f"invalid profile name {name!r}: use letters, digits, '.', '_' or '-' (max 64)")
