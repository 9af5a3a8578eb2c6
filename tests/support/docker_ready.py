"""Docker tests wait for the CI's system lane (dockerd and the base image) that scripts/test.sh runs beside pytest.

scripts/test.sh starts pytest once the Python lane and the system packages are ready and lets the rest of the system
lane (a private dockerd, the local base image, mostly downloads) finish beside the first tests; the lane's log is
`system.log` beside the verdict file. It names a file in MEDPERF_TEST_DOCKER_READY
that the lane writes "ok" or "failed" into when done; a test marked `docker` waits for it before its fixtures
are set up, and fails (never skips) with the lane's log when the lane failed. Unset, nothing waits.
"""

import os
import time
from pathlib import Path

import pytest

READY_ENV = "MEDPERF_TEST_DOCKER_READY"
DEADLINE_S = 1800.0  # apt and debootstrap on a slow mirror


def wait_for_docker(ready: Path, deadline_s: float = DEADLINE_S, poll_s: float = 0.5) -> None:
    """Return once the lane wrote "ok" into ready; pytest.fail naming its log when it failed or never finished."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            verdict = ready.read_text().strip()
        except FileNotFoundError:
            verdict = ""
        if verdict == "ok":
            return
        log = ready.with_name("system.log")
        if verdict:
            pytest.fail(f"dockerd or the base image did not come up (the system lane: {verdict}); see {log}")
        if time.monotonic() > end:
            pytest.fail(f"dockerd and the base image were not ready within {deadline_s:.0f} s; see {log}")
        time.sleep(poll_s)


@pytest.hookimpl(tryfirst=True)  # before the test's fixtures (the daemon's client, images) are set up
def pytest_runtest_setup(item: pytest.Item) -> None:
    ready = os.environ.get(READY_ENV)
    if ready and item.get_closest_marker("docker") is not None:
        wait_for_docker(Path(ready))
