"""The site's sender: every approved upload that is due goes to the registry (CLI and scheduled flow alike)."""

from __future__ import annotations

from pathlib import Path

from medperf.settings import default_home
from medperf.site.connections import site_registry
from medperf.site.outbox import Outbox, OutboxEntry
from medperf.site.outbox_delivery import deliver


def send_due(data_root: Path, everything: bool = False) -> list[OutboxEntry]:
    """Send each due entry once (with `everything`, also those whose retry time has not come); tried entries."""
    outbox = Outbox(data_root)
    with site_registry(default_home()) as registry:
        return outbox.send_due(lambda item: deliver(item, registry, data_root), ignore_backoff=everything)
