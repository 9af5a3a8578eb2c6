"""Approval codes: an HMAC, under a secret kept only on the site, of a flow run id and a payload hash."""

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from medperf.errors import ConfigError

SECRET_FILE = "site-secret"
CODE_LENGTH = 10


def site_secret_path(home: Path) -> Path:
    """Where the site secret lives: $MEDPERF_HOME/site-secret."""
    return home / SECRET_FILE


def load_or_create_site_secret(home: Path) -> bytes:
    """Read the site secret, creating it (32 random bytes, mode 0600) on first use."""
    path = site_secret_path(home)
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ConfigError(f"{path}: the site secret must be readable by its owner only; run: chmod 600 {path}")
    text = path.read_text().strip()
    if len(text) < 32:
        raise ConfigError(f"{path}: the site secret is too short; delete the file to create a new one")
    return text.encode("utf-8")


def approval_code(secret: bytes, flow_run_id: str, payload_sha256: str) -> str:
    """A short readable code (XXXXX-XXXXX) binding a decision to one run and one exact payload."""
    mac = hmac.new(secret, f"{flow_run_id}:{payload_sha256}".encode(), hashlib.sha256).digest()
    text = base64.b32encode(mac).decode("ascii")[:CODE_LENGTH]
    return f"{text[:5]}-{text[5:]}"


def normalise_code(code: str) -> str:
    """Accept codes typed in lower case, with spaces or without the dash."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{cleaned[:5]}-{cleaned[5:]}"


def code_matches(secret: bytes, flow_run_id: str, payload_sha256: str, given: str) -> bool:
    """Whether a typed code is the one for this run and payload (constant-time comparison)."""
    expected = approval_code(secret, flow_run_id, payload_sha256)
    return hmac.compare_digest(expected, normalise_code(given))
