"""The site's outbox: an approved payload is written here before anything is sent, and sent until the registry has it.

One file per approved upload under <data_root>/outbox/ (mode 0600, never uploaded itself). An entry is
"pending" (written, not yet sent), "sent" (the registry has it; its id is kept), "failed-will-retry" (the
registry could not be reached or was busy; sent again later) or "failed" (the registry refused it for good,
e.g. a policy change; the message says why). Sending is idempotent: datasets carry their client key and a
result is finalized once, so a repeat after a lost answer changes nothing. The same approved payload is never
asked for twice: `approved()` finds it by kind and payload hash.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from medperf.atomic_file import write_atomic
from medperf.retry_policy import is_transient

Status = Literal["pending", "sent", "failed-will-retry", "failed"]
RETRY_BACKOFF_S = (30, 60, 120, 300, 600, 1800)  # then every 30 minutes, for as long as it takes


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class OutboxEntry:
    """One approved upload and how far it got."""

    entry_id: str
    kind: str  # "dataset" or "result"
    flow_run_id: str
    payload: dict[str, Any]
    payload_sha256: str
    target: dict[str, Any]  # what sending needs besides the payload: client key, result id, prepared folders
    status: Status = "pending"
    attempts: int = 0
    approved_at: str = field(default_factory=lambda: _now().isoformat(timespec="seconds"))
    next_attempt_at: str | None = None
    last_error: str = ""
    registry_id: int | None = None
    sent_at: str | None = None

    def due(self, now: datetime | None = None, *, ignore_backoff: bool = False) -> bool:
        """Whether the sender should try it now (with ignore_backoff: whenever it is still unsent)."""
        if self.status not in ("pending", "failed-will-retry"):
            return False
        if ignore_backoff or self.next_attempt_at is None:
            return True
        return datetime.fromisoformat(self.next_attempt_at) <= (now or _now())


@dataclass(frozen=True)
class SendOutcome:
    """What one send did (no payload: this is what a Prefect task returns)."""

    status: Status
    registry_id: int | None
    error: str


class Outbox:
    """The approved uploads of one site."""

    def __init__(self, data_root: Path) -> None:
        self.root = data_root / "outbox"

    def _path(self, entry_id: str) -> Path:
        return self.root / f"{entry_id}.json"

    def _write(self, entry: OutboxEntry) -> OutboxEntry:
        # durable: an approval survives a crash right after it was given
        write_atomic(self._path(entry.entry_id), json.dumps(asdict(entry), indent=2, sort_keys=True), durable=True)
        return entry

    def get(self, entry_id: str) -> OutboxEntry | None:
        """One entry, or None."""
        path = self._path(entry_id)
        return OutboxEntry(**json.loads(path.read_text())) if path.is_file() else None

    def entries(self) -> list[OutboxEntry]:
        """Every entry, oldest approval first."""
        if not self.root.is_dir():
            return []
        found = [OutboxEntry(**json.loads(path.read_text())) for path in self.root.glob("*.json")]
        return sorted(found, key=lambda entry: entry.approved_at)

    def put(
        self, entry_id: str, kind: str, flow_run_id: str, payload: dict[str, Any], digest: str,
        target: dict[str, Any],
    ) -> OutboxEntry:
        """Record an approved payload before it is sent; the existing entry when this one is already there."""
        existing = self.get(entry_id)
        if existing is not None and existing.payload_sha256 == digest:
            return existing
        return self._write(OutboxEntry(entry_id, kind, flow_run_id, payload, digest, target))

    def approved(self, kind: str, digest: str) -> OutboxEntry | None:
        """An earlier approval of exactly this payload (not refused for good): it is not asked for again."""
        for entry in self.entries():
            if entry.kind == kind and entry.payload_sha256 == digest and entry.status != "failed":
                return entry
        return None

    def mark_sent(self, entry: OutboxEntry, registry_id: int) -> OutboxEntry:
        """The registry has it."""
        entry.status, entry.registry_id = "sent", registry_id
        entry.sent_at, entry.next_attempt_at, entry.last_error = _now().isoformat(timespec="seconds"), None, ""
        return self._write(entry)

    def mark_failed(self, entry: OutboxEntry, error: BaseException) -> OutboxEntry:
        """A try failed: retried later when the error is transient, else failed for good."""
        entry.attempts += 1
        entry.last_error = f"{type(error).__name__}: {str(error)[:300]}"
        if is_transient(error):
            wait = RETRY_BACKOFF_S[min(entry.attempts - 1, len(RETRY_BACKOFF_S) - 1)]
            entry.status = "failed-will-retry"
            entry.next_attempt_at = (_now() + timedelta(seconds=wait)).isoformat(timespec="seconds")
        else:
            entry.status, entry.next_attempt_at = "failed", None
        return self._write(entry)

    def send(self, entry: OutboxEntry, deliver: Callable[[OutboxEntry], int]) -> OutboxEntry:
        """One try: deliver(entry) returns the registry id; the entry records the outcome (never raises
        for a registry error: the entry says what happened)."""
        try:
            registry_id = deliver(entry)
        except Exception as error:  # recorded on the entry; transient ones are retried by the sender
            return self.mark_failed(entry, error)
        return self.mark_sent(entry, registry_id)

    def send_due(
        self, deliver: Callable[[OutboxEntry], int], now: datetime | None = None, *, ignore_backoff: bool = False
    ) -> list[OutboxEntry]:
        """Try every entry that is due (or every unsent one); the entries tried, with their new status."""
        return [self.send(e, deliver) for e in self.entries() if e.due(now, ignore_backoff=ignore_backoff)]
