"""Approval codes: an HMAC, under a secret kept only on the site, of a flow run id and a payload hash."""

import base64
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from medperf.errors import ConfigError

SECRET_FILE = "site-secret"
CODE_LENGTH = 10
MAX_SECRET_BYTES = 4096


def site_secret_path(home: Path) -> Path:
    """Where the site secret lives: $MEDPERF_HOME/site-secret."""
    return home / SECRET_FILE


def _read_secret(path: Path) -> str:
    """The secret file's text; ConfigError (one line) for anything but a private regular UTF-8 file."""
    try:
        info = os.lstat(path)
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the site secret ({err.strerror}); check its permissions") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(
            f"{path}: the site secret must be a regular file (found {_kind(info.st_mode)}); "
            "move it away and run again to create a new one"
        )
    if info.st_mode & 0o077:
        raise ConfigError(f"{path}: the site secret must be readable by its owner only; run: chmod 600 {path}")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_SECRET_BYTES + 1)
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the site secret ({err.strerror}); check its permissions") from None
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        text = ""
    if len(data) > MAX_SECRET_BYTES or len(text) < 32 or not text.isascii() or not text.isprintable():
        raise ConfigError(f"{path}: the site secret is not a valid secret; delete the file to create a new one")
    return text


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "a special file"


def load_or_create_site_secret(home: Path) -> bytes:
    """Read the site secret, creating it (32 random bytes as hex, mode 0600) on first use.

    Anything but a private regular file of printable ASCII (a folder, a symlink, a FIFO, a file others
    can read, binary content) is refused with one line naming the file.
    """
    path = site_secret_path(home)
    if not os.path.lexists(path):
        try:
            home.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            pass  # created by a concurrent first use; read it below
        except OSError as err:
            raise ConfigError(f"{path}: cannot create the site secret ({err.strerror}); check {home}") from None
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return _read_secret(path).encode("ascii")


def approval_code(secret: bytes, flow_run_id: str, payload_sha256: str) -> str:
    """A short readable code (XXXXX-XXXXX) binding a decision to one run and one exact payload."""
    mac = hmac.new(secret, f"{flow_run_id}:{payload_sha256}".encode(), hashlib.sha256).digest()
    text = base64.b32encode(mac).decode("ascii")[:CODE_LENGTH]
    return f"{text[:5]}-{text[5:]}"


def normalise_code(code: str) -> str:
    """Accept codes typed in lower case, with spaces or without the dash; other characters are dropped.

    Only ASCII letters and digits count, so any text (non-ASCII, emoji, control characters) yields a code
    that simply does not match, never an error.
    """
    cleaned = "".join(ch for ch in code.upper() if ch.isascii() and ch.isalnum())
    return f"{cleaned[:5]}-{cleaned[5:]}"


def code_matches(secret: bytes, flow_run_id: str, payload_sha256: str, given: str) -> bool:
    """Whether a typed code is the one for this run and payload (constant-time comparison)."""
    if not isinstance(given, str) or len(given) > 64:
        return False
    expected = approval_code(secret, flow_run_id, payload_sha256)
    return hmac.compare_digest(expected.encode("ascii"), normalise_code(given).encode("ascii"))
