"""One CA-bundle TLS context for every Prefect API client of a process, instead of loading the bundle per client."""

# Prefect builds a new `ssl.create_default_context(cafile=<CA bundle>)` for every client it creates (about 14 ms
# of CPU each). A flow run creates about eight (the engine, its task runs, the log and event workers), a site
# worker and the demo's approval desk one per loop: measured 0.25 s of CPU per flow run and 1.9 s per demo.
# A verifying context is made to be shared (the standard library's clients share theirs), and Prefect never
# changes one it built with a CA file: its insecure path builds its own without one and sets it up itself, and
# that path still gets a fresh context here. A CA file changed on disk (another size or mtime) is loaded again.

from __future__ import annotations

import os
import ssl
import threading
from typing import Any

_LOCK = threading.Lock()


class SharedVerifyingContexts:
    """Stands in for the `ssl` module inside Prefect's client module: shares `create_default_context(cafile=...)`."""

    def __init__(self) -> None:
        self.contexts: dict[tuple[str, int, int], ssl.SSLContext] = {}
        self.loads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(ssl, name)

    def create_default_context(
        self,
        purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH,
        *,
        cafile: str | None = None,
        capath: str | None = None,
        cadata: str | bytes | None = None,
    ) -> ssl.SSLContext:
        """The shared context for a CA file alone; anything else a fresh one, as `ssl.create_default_context`."""
        if cafile is None or capath is not None or cadata is not None or purpose != ssl.Purpose.SERVER_AUTH:
            return ssl.create_default_context(purpose, cafile=cafile, capath=capath, cadata=cadata)
        status = os.stat(cafile)
        key = (os.fspath(cafile), status.st_mtime_ns, status.st_size)
        with _LOCK:
            context = self.contexts.get(key)
            if context is None:
                context = ssl.create_default_context(purpose, cafile=cafile)
                self.contexts = {key: context}  # a changed file replaces the old context
                self.loads += 1
            return context


def share_prefect_tls_contexts() -> SharedVerifyingContexts:
    """Make this process's Prefect clients share one verifying context per CA file (idempotent); returns it."""
    from prefect.client import orchestration

    current = orchestration.ssl
    if isinstance(current, SharedVerifyingContexts):
        return current
    shared = SharedVerifyingContexts()
    orchestration.ssl = shared  # type: ignore[assignment]
    return shared


def load_prefect_tls_context() -> ssl.SSLContext:
    """Share, and load now, the context Prefect's clients verify with (its PREFECT_API_SSL_CERT_FILE, else
    certifi's bundle, as Prefect chooses): a fork server does it once before forking its runs."""
    import certifi
    from prefect.settings import PREFECT_API_SSL_CERT_FILE

    return share_prefect_tls_contexts().create_default_context(
        cafile=str(PREFECT_API_SSL_CERT_FILE.value() or certifi.where())
    )
