"""Profiles file: owner-only permissions, which profile is chosen, and clear errors on a broken file."""

import stat
from pathlib import Path

import pytest

from medperf.errors import ConfigError
from medperf.profiles import Profile, ProfileStore

OWNER = Profile(server_url="http://registry:8000", token="owner-token")
SITE = Profile(server_url="http://registry:8000", token="site-token")


def test_file_is_private_and_round_trips(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "home")
    store.put("owner", OWNER)
    store.put("site", SITE, activate=False)

    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    config = ProfileStore(tmp_path / "home").load()
    assert config.active == "owner" and config.profiles == {"owner": OWNER, "site": SITE}


def test_explicit_name_beats_environment_beats_active(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ProfileStore(tmp_path)
    store.put("owner", OWNER)
    store.put("site", SITE, activate=False)
    monkeypatch.delenv("MEDPERF_PROFILE", raising=False)
    assert store.resolve() == ("owner", OWNER)

    monkeypatch.setenv("MEDPERF_PROFILE", "site")
    assert store.resolve() == ("site", SITE)
    assert store.resolve("owner") == ("owner", OWNER)

    store.use("site")
    monkeypatch.delenv("MEDPERF_PROFILE")
    assert store.resolve() == ("site", SITE)


def test_broken_file_is_named(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.path.write_text("profiles: [not, a, mapping]\n")
    with pytest.raises(ConfigError, match="profiles.yaml is not a valid profiles file"):
        store.load()


def test_bad_profile_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid profile name"):
        ProfileStore(tmp_path).put("../etc", OWNER)
    assert not (tmp_path / "profiles.yaml").exists()
