"""Docker-only behaviour: image pinning by digest and `docker save` archives from the object store."""

from collections.abc import Callable
from pathlib import Path

import docker
import pytest

from medperf.containers import parse_container_config
from medperf.containers.config import ContainerConfig
from medperf.containers.image_archive import load_image_archive
from medperf.errors import HashMismatch
from medperf.storage.local_folder import LocalFolderStore, file_url_path

from .conftest import PROBE_IMAGE, RunnerCase

pytestmark = pytest.mark.docker
Config = Callable[..., ContainerConfig]


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
                    "run_args": {
                        "command": [
                            "sh",
                            "-c",
                            "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; id -u; ls /sys/class/net",
                        ]
                    },
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
