"""Liveness of a site's runs: each running flow run leaves its pid on the site, and a sweep crashes the dead ones.

A flow run's process writes `runs/<flow_run_id>/process.json` (its pid and the kernel's start time of that
pid, which tells a reused pid apart) when it starts and removes it when it ends, however it ends, short of
SIGKILL or a power cut. A file whose process is gone is therefore a run whose site process died: the sweep
(at the site worker's start) marks its Prefect flow run CRASHED, which frees its pool slot and lets the
campaign dispatch it again, and writes the site's failure record.
"""

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medperf.atomic_file import write_atomic
from medperf.site.run_store import RunStore

PROCESS_FILE = "process.json"
FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})


@dataclass(frozen=True)
class RunProcess:
    """The process a site flow run runs in."""

    flow_run_id: str
    pid: int
    start_ticks: int | None  # /proc/<pid>/stat starttime; None where /proc is not available
    since: float


@dataclass(frozen=True)
class DeadRun:
    """A run whose site process died, and what the sweep did about it."""

    flow_run_id: str
    pid: int
    prefect_state: str  # the state it was in before the sweep ("" when Prefect does not know the run)
    marked_crashed: bool


def start_ticks(pid: int) -> int | None:
    """The kernel's start time of a process (clock ticks since boot), or None when it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # the command name may hold spaces; fields follow its ')'
    try:
        return int(fields[19])  # field 22 of stat, the 20th after the name
    except (IndexError, ValueError):
        return None


def is_alive(process: RunProcess) -> bool:
    """Whether the recorded process still runs (the same process, not a later one given the same pid)."""
    try:
        os.kill(process.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if process.start_ticks is None:
        return True
    return start_ticks(process.pid) in (process.start_ticks, None)


def _process_file(data_root: Path, flow_run_id: str) -> Path:
    return RunStore(data_root).run_dir(flow_run_id) / PROCESS_FILE


def record_process(data_root: Path, flow_run_id: str, pid: int | None = None) -> Path:
    """Write the run's pid file (atomically); pid defaults to this process."""
    pid = os.getpid() if pid is None else pid
    path = _process_file(data_root, flow_run_id)
    return write_atomic(path, json.dumps({"pid": pid, "start_ticks": start_ticks(pid), "since": time.time()}))


@contextmanager
def running(data_root: Path, flow_run_id: str) -> Iterator[None]:
    """While the body runs, the site knows this process runs the flow run; a system exit (the worker that
    started the run stopped, a signal) is recorded as the run's failure on the site before it propagates."""
    from prefect.exceptions import ExternalSignal  # SIGTERM in a Prefect run process

    path = record_process(data_root, flow_run_id)
    try:
        yield
    except (SystemExit, KeyboardInterrupt, ExternalSignal) as err:
        _record_once(
            data_root, flow_run_id, f"the run's process on this site was stopped ({type(err).__name__}); "
            "dispatch it again (`medperf benchmark run`)", {"pid": os.getpid()},
        )
        raise
    finally:
        path.unlink(missing_ok=True)


def recorded_processes(data_root: Path) -> list[RunProcess]:
    """Every run the site's processes said they were running and did not clear."""
    found = []
    for path in sorted(RunStore(data_root).root.glob(f"*/{PROCESS_FILE}")):
        try:
            data = json.loads(path.read_text())
            found.append(RunProcess(path.parent.name, int(data["pid"]), data.get("start_ticks"), float(data["since"])))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # half-written by a process killed mid-write: judged by its folder alone below
    return found


def _record_once(data_root: Path, flow_run_id: str, message: str, details: dict[str, object]) -> None:
    store = RunStore(data_root)
    if store.run_failure(flow_run_id) is None:  # keep a step's own, more detailed record
        store.record_failure(flow_run_id, "site-process", message, dict(details))


MarkCrashed = Callable[[str, str], tuple[str, bool]]


def sweep_dead_runs(data_root: Path, mark_crashed: MarkCrashed | None = None) -> list[DeadRun]:
    """Crash every run whose recorded process is gone: Prefect state (mark_crashed(run_id, message) returns
    (state before, changed)), then the site's failure record, and an approval it asked for that nobody
    answered is withdrawn (its re-dispatch asks anew); the pid file is removed once all are done."""
    mark = mark_crashed or mark_flow_run_crashed
    dead = []
    for process in recorded_processes(data_root):
        if is_alive(process):
            continue
        message = (
            f"the site process of this run (pid {process.pid}) died without finishing it; "
            "the run holds no slot and can be dispatched again"
        )
        before, changed = mark(process.flow_run_id, message)
        _record_once(data_root, process.flow_run_id, message, {"pid": process.pid, "prefect_state": before})
        RunStore(data_root).withdraw_unanswered(process.flow_run_id, "the run's process died before the data owner "
                                                "answered")
        _process_file(data_root, process.flow_run_id).unlink(missing_ok=True)
        dead.append(DeadRun(process.flow_run_id, process.pid, before, changed))
    return dead


def mark_flow_run_crashed(flow_run_id: str, message: str) -> tuple[str, bool]:
    """Force the flow run to CRASHED unless it is final already; returns (state type before, changed)."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Crashed

    from medperf.retry_policy import PREFECT_CALLS

    def mark() -> tuple[str, bool]:
        with get_client(sync_client=True) as client:
            try:
                run = client.read_flow_run(UUID(flow_run_id))
            except ObjectNotFound:
                return "", False
            before = run.state.type.value if run.state else "PENDING"
            if before in FINAL_STATES:
                return before, False
            client.set_flow_run_state(UUID(flow_run_id), Crashed(message=message), force=True)
            return before, True

    return PREFECT_CALLS.call(mark)


def requeue_stranded_submissions(pool: str) -> list[str]:
    """Put the pool's runs left PENDING ("Submitting") by a worker that died back to SCHEDULED; their ids.

    A worker killed while it submits a run leaves it PENDING with no process: it never runs, a new worker
    only picks up SCHEDULED runs, and it holds one of the pool's slots. Called when the site's (only) worker
    starts, so no live worker can be submitting them; the site's work for such a run never began.
    """
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
        WorkPoolFilter,
        WorkPoolFilterName,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import Scheduled, State

    from medperf.retry_policy import PREFECT_CALLS

    def requeue() -> list[str]:
        requeued = []
        with get_client(sync_client=True) as client:
            stranded = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PENDING]))
                ),
                work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[pool])),
                limit=200,
            )
            for run in stranded:
                message = "its worker died while submitting it; queued again"
                state: State[Any] = Scheduled(name="Resubmitted", message=message)
                client.set_flow_run_state(UUID(str(run.id)), state, force=True)
                requeued.append(str(run.id))
        return requeued

    return PREFECT_CALLS.call(requeue)
