"""Runs that lost the Prefect server: once it answers again, their Prefect state says why, in the site's words.

A run that loses the server for longer than its client's retries records `ConnectionLost` on the site and
stops; the server cannot hear it. When the server is back, the worker reports the ended process with
Prefect's generic crash message, or, if the worker died too, the run stays RUNNING. This sweep (at the
site's worker start and in each `deliver_outbox` run) gives each such run, once its process is gone, a
CRASHED state whose message is the site's own line (which names no file and no case), and remembers it did.
"""

import json
from collections.abc import Callable
from pathlib import Path

from medperf.retry_policy import is_transient
from medperf.site.liveness import PROCESS_FILE
from medperf.site.run_store import FAILURE, RunStore

LOST_STEP = "ConnectionLost"
REPORTED = "lost-reported.json"

ReportState = Callable[[str, str], str]  # (flow run id, message) -> what was done: "set", "kept" or "unknown"


def report_lost_runs(data_root: Path, report: ReportState | None = None) -> dict[str, str]:
    """Give each stopped run that lost the server its site message on Prefect; {flow run id: what was done}.

    A run whose report fails on a transient error (the server is still down) is tried again next sweep.
    """
    store = RunStore(data_root)
    report = report or crash_with_message
    done: dict[str, str] = {}
    for failure_file in sorted(store.root.glob(f"*/{FAILURE}")) if store.root.is_dir() else []:
        folder = failure_file.parent
        if (folder / REPORTED).exists() or (folder / PROCESS_FILE).exists():  # reported, or its process runs
            continue
        try:
            failure = json.loads(failure_file.read_text())
        except (OSError, ValueError):
            continue
        if failure.get("step") != LOST_STEP:
            continue
        try:
            outcome = report(folder.name, str(failure.get("message", "")))
        except Exception as err:  # noqa: BLE001 - a server still down is tried again at the next sweep
            if is_transient(err):
                continue
            raise
        (folder / REPORTED).write_text(json.dumps({"outcome": outcome}))
        done[folder.name] = outcome
    return done


def crash_with_message(flow_run_id: str, message: str) -> str:
    """Set the run CRASHED with the message unless it completed or says it already: "set", "kept", "unknown"."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Crashed

    with get_client(sync_client=True) as client:
        try:
            run = client.read_flow_run(UUID(flow_run_id))
        except ObjectNotFound:
            return "unknown"
        state = run.state
        if state is not None and (state.is_completed() or (state.is_crashed() and state.message == message)):
            return "kept"
        client.set_flow_run_state(UUID(flow_run_id), Crashed(message=message), force=True)
        return "set"
