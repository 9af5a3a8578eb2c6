"""Docker tests wait for the system lane's verdict: "ok" lets them run, "failed" fails them naming the lane's log."""

import subprocess
import threading
import time
from pathlib import Path

import pytest
from support.docker_ready import wait_for_docker


def test_the_wait_ends_when_the_lane_writes_ok(tmp_path: Path) -> None:
    ready = tmp_path / "docker_ready"
    writer = threading.Timer(0.3, lambda: ready.write_text("ok\n"))
    writer.start()
    began = time.monotonic()
    wait_for_docker(ready, deadline_s=10, poll_s=0.05)
    assert time.monotonic() - began >= 0.25  # it did wait for the file


def test_a_failed_lane_fails_the_test_with_its_log(tmp_path: Path) -> None:
    (tmp_path / "docker_ready").write_text("failed\n")
    with pytest.raises(pytest.fail.Exception, match=r"did not come up .*system\.log"):
        wait_for_docker(tmp_path / "docker_ready", deadline_s=10, poll_s=0.05)


def test_a_lane_that_never_finishes_fails_at_the_deadline(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match="not ready within"):
        wait_for_docker(tmp_path / "docker_ready", deadline_s=0.2, poll_s=0.05)


def test_dockerd_sh_names_the_socket_without_starting_a_daemon(tmp_path: Path) -> None:
    """scripts/test.sh exports DOCKER_HOST from `infra/dockerd.sh --host` before the lane starts the daemon."""
    script = Path(__file__).resolve().parents[1] / "infra" / "dockerd.sh"
    folder = tmp_path / "docker"
    done = subprocess.run(["bash", str(script), "--host", str(folder)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"unix://{folder}/docker.sock"
    assert not folder.exists()  # nothing started, nothing created
