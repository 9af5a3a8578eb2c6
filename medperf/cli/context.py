"""What every command needs: the selected profile and a registry client built from it."""

from dataclasses import dataclass

import typer

from medperf.client import RegistryClient
from medperf.profiles import Profile, ProfileStore


@dataclass
class CliState:
    """Global options of the `medperf` command (set by the root callback)."""

    profile: str | None = None
    timeout_s: float = 30.0


def cli_state(ctx: typer.Context) -> CliState:
    """The root command's state (defaults when a command runs without the root callback)."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, CliState) else CliState()


def current_profile(ctx: typer.Context) -> tuple[str, Profile]:
    """The profile chosen by --profile, $MEDPERF_PROFILE or `medperf auth use`."""
    return ProfileStore().resolve(cli_state(ctx).profile)


def open_client(ctx: typer.Context) -> RegistryClient:
    """A registry client for the selected profile; use it in a `with` block."""
    _, profile = current_profile(ctx)
    return RegistryClient(profile.server_url, profile.token, timeout=cli_state(ctx).timeout_s)
