"""Fixtures of the runner tests: a real Docker daemon with locally built images, and both runners."""

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from medperf.containers import ContainerRunner, ContainerSpec, make_runner, parse_container_config
from medperf.containers.config import ContainerConfig
from medperf.settings import SiteSettings

ROOT = Path(__file__).parents[2]
PROBE_PROJECT = Path(__file__).parent / "probe_project"
MODEL_PROJECT = ROOT / "tests" / "fixtures" / "container_project"
PROBE_IMAGE = "medperf/test-probe:latest"
MODEL_IMAGE = "medperf/test-model:1.0"


def _sh(script: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(["bash", str(ROOT / "infra" / script)], capture_output=True, text=True, env=env, timeout=1800)
    if done.returncode != 0:
        pytest.fail(f"infra/{script} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def docker_host() -> str:
    """$DOCKER_HOST (set by .ci/run) or a dockerd from infra/dockerd.sh; the base image built if missing.

    Fails, never skips, when docker cannot be started.
    """
    host = os.environ.get("DOCKER_HOST") or _sh("dockerd.sh")
    _sh("base_image.sh", env={**os.environ, "DOCKER_HOST": host})
    return host


@pytest.fixture(scope="session")
def docker_client(docker_host: str) -> docker.DockerClient:
    """A client of the test daemon."""
    return docker.DockerClient(base_url=docker_host)


def build_image(client: docker.DockerClient, project: Path, tag: str, dockerfile: str = "Dockerfile") -> str:
    """docker build FROM the local base image (host network: a `RUN pip install` reaches the index)."""
    image, _ = client.images.build(path=str(project), dockerfile=dockerfile, tag=tag, rm=True, network_mode="host")
    image_id: str = image.id
    return image_id


@pytest.fixture(scope="session")
def probe_image(docker_client: docker.DockerClient) -> str:
    """The probe project's image id."""
    return build_image(docker_client, PROBE_PROJECT, PROBE_IMAGE)


@pytest.fixture(scope="session")
def model_image(docker_client: docker.DockerClient) -> str:
    """The MedPerf-style fixture project's image id."""
    return build_image(docker_client, MODEL_PROJECT, MODEL_IMAGE)


@dataclass
class RunnerCase:
    """A runner under test and how to build a spec for it."""

    kind: str
    runner: ContainerRunner
    settings: SiteSettings
    image_id: str | None

    def spec(self, config: ContainerConfig, **extra: object) -> ContainerSpec:
        """A spec of the probe project for this runner."""
        return ContainerSpec(
            name="probe",
            config=config,
            image=PROBE_IMAGE,
            image_digest=self.image_id,
            source_dir=PROBE_PROJECT,
            **extra,  # type: ignore[arg-type]
        )


def site_settings(tmp_path: Path, kind: str, docker_host: str | None = None) -> SiteSettings:
    """Site settings for a runner kind with small limits."""
    return SiteSettings(
        runner=kind,
        docker_host=docker_host,
        data_root=tmp_path / "site",
        memory_limit_mb=1024,
        cpu_limit=1.0,
        pids_limit=128,
        task_timeout_seconds=120,
    )


def _runner_case(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> RunnerCase:
    if kind == "docker":
        host = request.getfixturevalue("docker_host")
        image_id = request.getfixturevalue("probe_image")
        settings = site_settings(tmp_path, "docker", host)
        return RunnerCase("docker", make_runner(settings), settings, image_id)
    settings = site_settings(tmp_path, "sandbox")
    return RunnerCase("sandbox", make_runner(settings), settings, None)


@pytest.fixture(params=["sandbox", pytest.param("docker", marks=pytest.mark.docker)])
def case(request: pytest.FixtureRequest, tmp_path: Path) -> RunnerCase:
    """Each runner in turn (the docker one against a real daemon)."""
    return _runner_case(request.param, request, tmp_path)


@pytest.fixture
def docker_case(request: pytest.FixtureRequest, tmp_path: Path) -> RunnerCase:
    """The docker runner against a real daemon, with the probe image."""
    return _runner_case("docker", request, tmp_path)


@pytest.fixture
def probe_config() -> Callable[..., ContainerConfig]:
    """A one-task config running probe.py with the given arguments, with data in and output out."""

    def build(*args: str, task: str = "infer") -> ContainerConfig:
        return parse_container_config(
            {
                "tasks": {
                    task: {
                        "run_args": {"command": ["python3", "/workspace/probe.py", *args]},
                        "input_volumes": {"data_path": {"mount_path": "/mlcommons/volumes/data", "type": "directory"}},
                        "output_volumes": {
                            "output_path": {"mount_path": "/mlcommons/volumes/output", "type": "directory"}
                        },
                    }
                }
            }
        )

    return build


@pytest.fixture
def io_dirs(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """An input folder with two files and an empty output folder."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "case-1.txt").write_text("left lung\n")
    (data / "case-2.txt").write_text("right lung\n")
    yield {"data_path": data, "output_path": tmp_path / "output"}
