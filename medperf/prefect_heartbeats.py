"""Prefect's flow-run heartbeat thread, stopped the moment its run ends instead of at the next whole second."""

# Prefect 3.9's `_send_heartbeats` (prefect/flow_engine.py) runs a heartbeat thread beside every flow run (the
# default period is 180 s, a site's 30 s). Between heartbeats it sleeps `time.sleep(1)` at a time, looking at its
# stop event once per second, and the sync engine joins it when the run ends: every flow run's end waited for
# the thread's next whole second since the run started. Measured with py-spy on `benchmarks/pipeline.py`: flow
# wall times landed on a 1 s grid (1.1, 2.1, 3.15 s ...), 0.37 s of join per flow on average. Here the thread
# waits on the stop event itself, so the same heartbeats go out at the same times and the join returns at once.

from __future__ import annotations

import contextvars
import threading
from collections.abc import Generator
from contextlib import contextmanager
from typing import Any

_REQUIRED = ("_send_heartbeats", "MINIMUM_HEARTBEAT_INTERVAL")
_ENGINE_METHODS = ("_build_heartbeat_event_template", "_emit_flow_run_heartbeat")


@contextmanager
def send_heartbeats(engine: Any, join_on_exit: bool = True) -> Generator[None, None, None]:
    """Prefect's `_send_heartbeats`, with the thread's wait between heartbeats ended by the run's end."""
    from prefect import flow_engine

    heartbeat_seconds = engine.heartbeat_seconds
    if heartbeat_seconds is None:
        yield
        return
    period = max(heartbeat_seconds, flow_engine.MINIMUM_HEARTBEAT_INTERVAL)
    resource, related = engine._build_heartbeat_event_template()
    stop_event = threading.Event()

    def heartbeat_loop() -> None:
        while not stop_event.is_set():
            flow_run = engine.flow_run
            if flow_run and flow_run.state and flow_run.state.is_final():
                engine.logger.debug("Flow run in terminal state, stopping heartbeat")
                return
            try:
                engine._emit_flow_run_heartbeat(resource, related)
            except Exception:  # noqa: BLE001 - as Prefect: a lost heartbeat is logged, never fails the run
                engine.logger.debug("Failed to emit heartbeat", exc_info=True)
            stop_event.wait(period)

    # the thread sees the run's settings context (its PREFECT_API_URL), as in Prefect
    thread = threading.Thread(target=contextvars.copy_context().run, args=(heartbeat_loop,), daemon=True)
    thread.start()
    engine.logger.debug("Started flow run heartbeat context")
    try:
        yield
    finally:
        stop_event.set()
        if join_on_exit:
            thread.join(timeout=2)
        engine.logger.debug("Stopped flow run heartbeat context")


def stop_heartbeats_promptly() -> bool:
    """Put `send_heartbeats` in place of Prefect's (idempotent); False, changing nothing, if Prefect's differs."""
    from prefect import flow_engine

    engine_class = getattr(flow_engine, "BaseFlowRunEngine", None)
    if not all(hasattr(flow_engine, name) for name in _REQUIRED) or not all(
        hasattr(engine_class, name) for name in _ENGINE_METHODS
    ):
        return False  # another Prefect: its own heartbeats stay, at worst a second slower per run
    flow_engine._send_heartbeats = send_heartbeats
    return True
