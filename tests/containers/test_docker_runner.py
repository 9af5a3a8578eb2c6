"""Docker-only behaviour: image pinning by digest and `docker save` archives from the object store."""

import os
from collections.abc import Callable
from pathlib import Path

import docker
import pytest

from medperf.containers import docker_runner, parse_container_config
from medperf.containers.config import ContainerConfig
from medperf.containers.image_archive import load_image_archive
from medperf.errors import HashMismatch
from medperf.storage.local_folder import LocalFolderStore, file_url_path

from .conftest import PROBE_IMAGE, RunnerCase

pytestmark = pytest.mark.docker
Config = Callable[..., ContainerConfig]
LIMITS_SCRIPT = (
    "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; "
    "echo pids $(cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max); "
    "echo memory $(cat /sys/fs/cgroup/memory.max 2>/dev/null "
    "|| cat /sys/fs/cgroup/memory/memory.limit_in_bytes); "
    "ls /sys/class/net"
)


def _probe_containers(client: docker.DockerClient) -> list[object]:
    return list(client.containers.list(all=True, filters={"label": "org.medperf.container=probe"}))


def test_wrong_image_digest_is_refused_before_anything_runs(
    docker_case: RunnerCase,
    docker_client: docker.DockerClient,
    probe_config: Config,
    io_dirs: dict[str, Path],
    tmp_path: Path,
) -> None:
    spec = docker_case.spec(probe_config("copy", "/mlcommons/volumes/data", "/mlcommons/volumes/output"))
    wrong = spec.__class__(**{**spec.__dict__, "image_digest": "sha256:" + "0" * 64})
    before = len(_probe_containers(docker_client))
    with pytest.raises(HashMismatch, match="refusing to run"):
        docker_case.runner.run(wrong, "infer", io_dirs, log_dir=tmp_path / "logs")
    assert len(_probe_containers(docker_client)) == before
    assert not io_dirs["output_path"].exists()
    assert not (tmp_path / "logs").exists()


def test_image_archive_round_trip_and_tamper(
    docker_client: docker.DockerClient, probe_image: str, tmp_path: Path
) -> None:
    archive = tmp_path / "probe.tar"
    with open(archive, "wb") as handle:
        for chunk in docker_client.images.get(PROBE_IMAGE).save(named=True):
            handle.write(chunk)
    store = LocalFolderStore(tmp_path / "store", tmp_path / "cache")
    stored = store.put_file(archive)
    assert load_image_archive(store, stored.url, stored.sha256, docker_client) == probe_image

    stored_path = file_url_path(stored.url)
    data = bytearray(stored_path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored_path.write_bytes(bytes(data))
    fresh = LocalFolderStore(tmp_path / "store", tmp_path / "cache2")
    with pytest.raises(HashMismatch, match="tampered"):
        load_image_archive(fresh, stored.url, stored.sha256, docker_client)


def test_container_runs_without_capabilities_or_network(
    docker_case: RunnerCase, docker_client: docker.DockerClient, io_dirs: dict[str, Path], tmp_path: Path
) -> None:
    config = parse_container_config(
        {
            "tasks": {
                "infer": {
                    "run_args": {"command": ["sh", "-c", LIMITS_SCRIPT]},
                    "input_volumes": {"data_path": {"mount_path": "/d", "type": "directory"}},
                }
            }
        }
    )
    result = docker_case.runner.run(docker_case.spec(config), "infer", io_dirs, log_dir=tmp_path / "logs")
    log = result.log_path.read_text()
    assert "CapEff:\t0000000000000000" in log
    assert "NoNewPrivs:\t1" in log
    assert log.split()[-1] == "lo"  # the only interface
    assert "pids 128" in log
    assert f"memory {1024 * 1024 * 1024}" in log


def test_container_runs_as_the_calling_user(
    docker_case: RunnerCase,
    probe_config: Config,
    io_dirs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(docker_runner.os, "getuid", lambda: 4321)
    monkeypatch.setattr(docker_runner.os, "getgid", lambda: 4321)
    io_dirs["output_path"].mkdir()
    os.chown(io_dirs["output_path"], 4321, 4321)
    config = probe_config("copy", "/mlcommons/volumes/data", "/mlcommons/volumes/output")
    result = docker_case.runner.run(docker_case.spec(config), "infer", io_dirs, log_dir=tmp_path / "logs")
    assert result.exit_code == 0, result.log_tail
    written = list(io_dirs["output_path"].rglob("*"))
    assert written and {path.stat().st_uid for path in written} == {4321}
    assert {path.stat().st_gid for path in written} == {4321}


def test_two_runs_on_parallel_threads_run_at_the_same_time(docker_case: RunnerCase, tmp_path: Path) -> None:
    """A campaign's batch run evaluates its pairs on threads: the docker runner must not serialize them."""
    from concurrent.futures import ThreadPoolExecutor

    stamp = "import time, pathlib; pathlib.Path('/out/{0}').write_text(repr(time.time()))"
    script = f"{stamp.format('start')}; time.sleep(3); {stamp.format('end')}"
    config = parse_container_config({"tasks": {"infer": {
        "run_args": {"command": ["python3", "-c", script]},
        "input_volumes": {"data_path": {"mount_path": "/in", "type": "directory"}},
        "output_volumes": {"output_path": {"mount_path": "/out", "type": "directory"}},
    }}})

    def run(name: str) -> tuple[float, float]:
        dirs = {"data_path": tmp_path / name / "in", "output_path": tmp_path / name / "out"}
        dirs["data_path"].mkdir(parents=True)
        result = docker_case.runner.run(docker_case.spec(config), "infer", dirs, log_dir=tmp_path / name / "logs")
        assert result.exit_code == 0, result.log_tail
        return float((dirs["output_path"] / "start").read_text()), float((dirs["output_path"] / "end").read_text())

    with ThreadPoolExecutor(2) as pool:
        (start_a, end_a), (start_b, end_b) = pool.map(run, ["a", "b"])
    assert start_b < end_a and start_a < end_b, "the second container started only after the first had ended"
