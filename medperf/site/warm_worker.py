"""Start a site's worker with a fork server beside it, so that its flow runs start warm (MEDPERF_SITE_WARM_START)."""

# `python -m medperf.site.warm_worker prefect worker start ...` starts the fork server (medperf.site.flow_forkserver)
# as its child, in the worker's process group (stopping the worker's group stops it), names its socket in
# MEDPERF_FLOW_FORKSERVER, and then becomes the worker (same pid: this environment's `prefect` CLI runs in this
# process, any other command is exec'd). The worker's runs inherit the variable; their launcher
# (medperf.site.flow_launcher) uses the server when it answers and starts cold otherwise. The socket is in a fresh
# 0700 folder and the server serves only its own user. MEDPERF_SITE_WARM_START=0 turns it off.

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile

from medperf.site.flow_launcher import LOG_ENV, SOCKET_ENV

WARM_START_ENV = "MEDPERF_SITE_WARM_START"


def warm_start_enabled(env: "os._Environ[str] | dict[str, str]") -> bool:
    """Whether the site starts its runs from a fork server (default yes; "0", "false", "no" or "off" turn it off)."""
    return env.get(WARM_START_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


def main(argv: list[str]) -> None:
    """Start the fork server, then exec the worker command in argv."""
    if not argv:
        sys.exit("usage: python -m medperf.site.warm_worker WORKER_COMMAND...")
    if warm_start_enabled(os.environ):
        folder = tempfile.mkdtemp(prefix="medperf-warm-")  # 0700: only this user reaches the socket
        path = os.path.join(folder, "forkserver.sock")
        subprocess.Popen([sys.executable, "-m", "medperf.site.flow_forkserver", path, str(os.getpid())],
                         stdin=subprocess.DEVNULL)
        os.environ[SOCKET_ENV] = path
        with contextlib.suppress(OSError):
            log = os.readlink("/proc/self/fd/2")
            if os.path.isfile(log):
                os.environ[LOG_ENV] = log  # a server started again later by a launcher writes here too
    if _same_file(argv[0], os.path.join(os.path.dirname(sys.executable), "prefect")):  # this environment's CLI
        _run_prefect_cli(argv)
    os.execvp(argv[0], argv)


def _same_file(command: str, path: str) -> bool:
    found = shutil.which(command)
    return found is not None and os.path.exists(path) and os.path.samefile(found, path)


def _run_prefect_cli(argv: list[str]) -> None:
    """`prefect ...` in this process (what the `prefect` script does), its API clients sharing one TLS context."""
    from prefect.cli import app

    from medperf.prefect_tls import share_prefect_tls_contexts

    share_prefect_tls_contexts()  # the worker makes a client per poll loop and per submitted run
    sys.argv = argv
    app()
    sys.exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
