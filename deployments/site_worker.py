"""The site's Prefect worker as a background process: pid and log under $MEDPERF_HOME/sites/NAME/."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from deployments.site_plan import WORKER_ENV, SitePlan
from medperf.process_alive import process_alive
from medperf.settings import default_home
from medperf.site.liveness import DeadRun, requeue_stranded_submissions, sweep_dead_runs
from medperf.site.lost_runs import report_lost_runs

# A stopped worker takes no new run at once, but then waits for its runs to end before it exits. Those runs
# are in sessions of their own and go on without it (medperf.site.liveness), and a submission cut short is
# scheduled again when the site's worker starts (requeue_stranded_submissions): after this grace it is killed.
STOP_DEADLINE_S = 3.0
# Every flow run tells the Prefect server it is alive this often; the campaign crashes a RUNNING run that
# stays silent for several periods (medperf.campaign.dispatch.STALE_RUN_S). Prefect's default is 180 s.
HEARTBEAT_ENV = {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30"}


@dataclass(frozen=True)
class WorkerFiles:
    """Where a site's worker keeps its pid and its log."""

    folder: Path

    @property
    def pid_file(self) -> Path:
        """worker.pid."""
        return self.folder / "worker.pid"

    @property
    def log_file(self) -> Path:
        """worker.log."""
        return self.folder / "worker.log"


def worker_files(site: str, home: Path | None = None) -> WorkerFiles:
    """$MEDPERF_HOME/sites/<site>/."""
    return WorkerFiles((home or default_home()) / "sites" / site)


def running_pid(files: WorkerFiles) -> int | None:
    """The pid of the site's worker when it is alive, else None (a stale pid file is removed)."""
    try:
        pid = int(files.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if not process_alive(pid):  # gone, or exited and not reaped yet
        files.pid_file.unlink(missing_ok=True)
        return None
    return pid


def worker_command(plan: SitePlan) -> list[str]:
    """`prefect worker start` on the site's pool, of the pool's type."""
    prefect = Path(sys.executable).with_name("prefect")
    command = [str(prefect), "worker", "start", "--pool", plan.pool, "--type", plan.pool_type,
               "--name", f"{plan.pool}-worker"]
    if plan.pool_type == "process":  # with a fork server beside it: its runs start warm (medperf.site.warm_worker)
        return [sys.executable, "-m", "medperf.site.warm_worker", *command]
    return command


def start_worker(plan: SitePlan, env: dict[str, str] | None = None, home: Path | None = None) -> tuple[int, bool]:
    """Start the worker in the background unless it runs already; returns (pid, started_now).

    Before a new worker starts, the runs the site's previous worker left behind with a dead process are
    marked CRASHED (medperf.site.liveness), so they free their slot and can be dispatched again, runs that
    stopped on a lost server get the site's message as their state (medperf.site.lost_runs), and the
    runs it left half-submitted (PENDING, no process) are scheduled again for the new worker.
    """
    files = worker_files(plan.pool, home)
    pid = running_pid(files)
    if pid is not None:
        return pid, False
    files.folder.mkdir(parents=True, exist_ok=True)
    crashed = crash_dead_runs(plan)
    lost = report_lost_runs(plan.settings.data_root)
    requeued = requeue_stranded_submissions(plan.pool)
    variables = plan.job_variables()["env"]
    assert isinstance(variables, dict)
    child_env = {**HEARTBEAT_ENV, **os.environ, **(env or {}), **WORKER_ENV,
                 **{k: str(v) for k, v in variables.items()}}
    with files.log_file.open("ab") as log:
        for dead in crashed:
            log.write(f"[medperf] run {dead.flow_run_id}: its process (pid {dead.pid}) had died; "
                      f"{'marked CRASHED' if dead.marked_crashed else 'already ' + dead.prefect_state}\n".encode())
        for flow_run_id, outcome in lost.items():
            log.write(f"[medperf] run {flow_run_id}: lost the server; its state says why ({outcome})\n".encode())
        for flow_run_id in requeued:
            log.write(f"[medperf] run {flow_run_id}: left submitting by the last worker; scheduled again\n".encode())
        log.flush()
        process = subprocess.Popen(
            worker_command(plan),
            env=child_env,
            cwd=plan.repo_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    files.pid_file.write_text(str(process.pid))
    return process.pid, True


def crash_dead_runs(plan: SitePlan) -> list[DeadRun]:
    """Mark the site's runs whose process died CRASHED on the Prefect server, with a failure record each."""
    return sweep_dead_runs(plan.settings.data_root)


def stop_worker(site: str, home: Path | None = None) -> int | None:
    """Stop the site's worker (its whole process group); returns the pid it stopped, or None."""
    files = worker_files(site, home)
    pid = running_pid(files)
    if pid is None:
        return None
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_DEADLINE_S
    while time.monotonic() < deadline and process_alive(pid):
        time.sleep(0.2)
    if process_alive(pid):
        os.killpg(pid, signal.SIGKILL)
    files.pid_file.unlink(missing_ok=True)
    return pid


