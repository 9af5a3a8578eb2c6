"""The site's package index settings for uv: uv's own (UV_* variables, uv.toml) first, then pip's, translated.

pip's settings are read as pip reads them: the config files in pip's order (/etc/xdg/pip/pip.conf, /etc/pip.conf,
~/.pip/pip.conf, ~/.config/pip/pip.conf, <site prefix>/pip.conf, $PIP_CONFIG_FILE; later files win, [install]
over [global]), then the PIP_* variables. Translated: index-url, extra-index-url, find-links, no-index,
trusted-host (as --allow-insecure-host) and cert (as SSL_CERT_FILE). A key uv already sets is left to uv. pip
considers every index for every package, so when pip's indexes are used uv is asked to do the same
(--index-strategy unsafe-best-match) unless uv's own settings choose a strategy. No index host is built in.
"""

import configparser
import os
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# pip key -> (uv flag, uv variables and uv.toml keys that already decide it)
_TRANSLATED: Mapping[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "index-url": ("--index-url", ("UV_INDEX_URL", "UV_DEFAULT_INDEX"), ("index-url", "default-index", "index")),
    "extra-index-url": ("--extra-index-url", ("UV_EXTRA_INDEX_URL", "UV_INDEX"), ("extra-index-url", "index")),
    "find-links": ("--find-links", ("UV_FIND_LINKS",), ("find-links",)),
    "trusted-host": ("--allow-insecure-host", ("UV_INSECURE_HOST",), ("allow-insecure-host",)),
}
_LISTS = frozenset({"extra-index-url", "find-links", "trusted-host"})


@dataclass(frozen=True)
class UvIndexOptions:
    """Arguments for `uv pip install` and variables for its environment."""

    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def pip_config_files(environ: Mapping[str, str]) -> list[Path]:
    """pip's configuration files in the order pip reads them (later ones win)."""
    chosen = environ.get("PIP_CONFIG_FILE")
    if chosen == os.devnull:
        return []
    home = Path(environ.get("HOME", str(Path.home())))
    xdg_dirs = environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)
    files = [Path(folder) / "pip" / "pip.conf" for folder in xdg_dirs if folder]
    files.append(Path("/etc/pip.conf"))
    files.append(home / ".pip" / "pip.conf")
    files.append(Path(environ.get("XDG_CONFIG_HOME", str(home / ".config"))) / "pip" / "pip.conf")
    files.append(Path(sys.prefix) / "pip.conf")
    if chosen:
        files.append(Path(chosen))
    return files


def read_pip_settings(environ: Mapping[str, str], files: Sequence[Path]) -> dict[str, str]:
    """pip's index settings (raw strings) from its config files and PIP_* variables."""
    settings: dict[str, str] = {}
    keys = [*_TRANSLATED, "no-index", "cert"]
    for path in files:
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            continue  # pip itself would stop on a broken file; the site's uv run then reports what fails
        for section in ("global", "install"):
            if parser.has_section(section):
                for key in keys:
                    if parser.has_option(section, key):
                        settings[key] = parser.get(section, key)
    for key in keys:
        value = environ.get("PIP_" + key.upper().replace("-", "_"))
        if value is not None:
            settings[key] = value
    return settings


def uv_config_keys(environ: Mapping[str, str]) -> set[str]:
    """The index keys uv's own config files set (uv.toml: user and system, or $UV_CONFIG_FILE)."""
    if environ.get("UV_NO_CONFIG"):
        return set()
    home = Path(environ.get("HOME", str(Path.home())))
    if environ.get("UV_CONFIG_FILE"):
        files = [Path(environ["UV_CONFIG_FILE"])]
    else:
        xdg_dirs = environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)
        files = [Path(environ.get("XDG_CONFIG_HOME", str(home / ".config"))) / "uv" / "uv.toml"]
        files += [Path(folder) / "uv" / "uv.toml" for folder in xdg_dirs if folder]
        files.append(Path("/etc/uv/uv.toml"))
    keys: set[str] = set()
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        keys |= set(data)
        pip_table = data.get("pip")
        if isinstance(pip_table, dict):
            keys |= set(pip_table)
    return keys


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def uv_index_options(environ: Mapping[str, str] | None = None, files: Sequence[Path] | None = None) -> UvIndexOptions:
    """What `uv pip install` needs to use the site's package index settings."""
    env = dict(os.environ if environ is None else environ)
    pip = read_pip_settings(env, pip_config_files(env) if files is None else files)
    uv_keys = uv_config_keys(env)
    args: list[str] = []
    extra_env: dict[str, str] = {}
    used_index = False
    for key, (flag, variables, toml_keys) in _TRANSLATED.items():
        value = pip.get(key, "").strip()
        if not value or any(env.get(name) for name in variables) or uv_keys & set(toml_keys):
            continue
        for item in value.split() if key in _LISTS else [value]:
            args += [flag, item]
        used_index = used_index or key != "trusted-host"
    if _truthy(pip.get("no-index", "")) and not env.get("UV_NO_INDEX") and "no-index" not in uv_keys:
        args.append("--no-index")
    if used_index and not env.get("UV_INDEX_STRATEGY") and "index-strategy" not in uv_keys:
        args += ["--index-strategy", "unsafe-best-match"]
    cert = pip.get("cert", "").strip()
    if cert and not env.get("SSL_CERT_FILE") and Path(cert).is_file():
        extra_env["SSL_CERT_FILE"] = cert
    return UvIndexOptions(args, extra_env)
