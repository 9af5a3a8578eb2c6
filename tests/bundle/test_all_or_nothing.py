"""`submit-folder` checks every project before it registers anything: one bad project registers nothing."""

import shutil
from pathlib import Path

import pytest
import yaml
from containers.conftest import docker_host as docker_host  # the real daemon fixture of tests/containers
from typer.testing import CliRunner

import medperf.cli.bundle_commands  # noqa: F401  (adds `submit-folder` to the benchmark group)
from medperf.bundle import BundleIdentities, register_benchmark_folder
from medperf.cli.local_server import LocalRegistry
from medperf.cli.main import app
from medperf.client import RegistryClient
from medperf.errors import ConfigError
from medperf.profiles import Profile, ProfileStore
from medperf.settings import SiteSettings
from medperf.storage import ObjectStore

from .conftest import EXAMPLE, Committee


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "bench"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("site-*", "__pycache__"))
    return target


def registered(*clients: RegistryClient) -> dict[str, int]:
    """How many containers, models and benchmarks the clients own."""
    counts = {"containers": 0, "models": 0, "benchmarks": 0}
    for client in clients:
        me = client.users.me().id
        counts["containers"] += client.containers.list(owner_id=me).count
        counts["models"] += client.models.list(owner_id=me).count
        counts["benchmarks"] += client.benchmarks.list(owner_id=me).count
    return counts


def set_container_type(project: Path, container_type: str) -> Path:
    config = project / "container_config.yaml"
    data = yaml.safe_load(config.read_text())
    data["container_type"] = container_type
    config.write_text(yaml.safe_dump(data))
    return config


def test_an_invalid_evaluator_registers_nothing(committee: Committee, store: ObjectStore, folder: Path) -> None:
    config = set_container_type(folder / "containers" / "evaluator", "SingularityFile")
    with pytest.raises(ConfigError, match=rf"^{config}: container_type: 'SingularityFile' is refused"):
        register_benchmark_folder(folder, BundleIdentities(committee.owner, committee.modeller), store)
    assert registered(committee.owner, committee.modeller) == {"containers": 0, "models": 0, "benchmarks": 0}


def test_a_bad_model_dockerfile_registers_nothing_either(committee: Committee, store: ObjectStore,
                                                         folder: Path) -> None:
    dockerfile = folder / "containers" / "model-gnb" / "Dockerfile"
    dockerfile.write_text("FROM medperf/base:bookworm\nCOPY --from=builder /wheels /wheels\n")
    with pytest.raises(ConfigError, match=rf"^{dockerfile}: line 2: COPY --from"):
        register_benchmark_folder(folder, BundleIdentities(committee.owner, committee.modeller), store)
    assert registered(committee.owner, committee.modeller) == {"containers": 0, "models": 0, "benchmarks": 0}


def test_a_name_taken_by_other_content_is_found_before_anything_new_is_registered(
    committee: Committee, store: ObjectStore, folder: Path
) -> None:
    who = BundleIdentities(committee.owner, committee.modeller)
    register_benchmark_folder(folder, who, store)
    before = registered(committee.owner, committee.modeller)
    shutil.copytree(folder / "containers" / "model-gnb", folder / "containers" / "model-extra")  # a new model
    path = folder / "benchmark" / "benchmark.yaml"
    data = yaml.safe_load(path.read_text())
    data["models"]["extra"] = "containers/model-extra"
    path.write_text(yaml.safe_dump(data))
    (folder / "containers" / "evaluator" / "parameters.yaml").write_text("bootstrap_resamples: 10\n")  # conflict
    with pytest.raises(ConfigError, match=r"evaluator.*already registered .* with other content"):
        register_benchmark_folder(folder, who, store)
    assert registered(committee.owner, committee.modeller) == before


def test_submit_folder_with_an_invalid_evaluator_says_one_line_and_registers_nothing(
    registry: LocalRegistry, committee: Committee, folder: Path, tmp_path: Path
) -> None:
    config = set_container_type(folder / "containers" / "evaluator", "EncryptedDockerArchive")
    home = tmp_path / "home"
    ProfileStore(home).put("committee", Profile(server_url=registry.url, token=committee.tokens["owner"]))
    env = {"MEDPERF_HOME": str(home), "MEDPERF_PROFILE": None, "MEDPERF_STORE_ROOT": str(tmp_path / "store"),
           "MEDPERF_STORE_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "400"}
    result = CliRunner().invoke(app, ["benchmark", "submit-folder", str(folder)], env=env)
    assert result.exit_code == 1
    assert f"{config}: container_type: 'EncryptedDockerArchive' is refused" in result.output
    assert "Traceback" not in result.output
    assert registered(committee.owner) == {"containers": 0, "models": 0, "benchmarks": 0}


@pytest.mark.docker
def test_with_docker_a_failing_image_build_registers_nothing(committee: Committee, store: ObjectStore, folder: Path,
                                                             docker_host: str) -> None:
    dockerfile = folder / "containers" / "evaluator" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "RUN python3 -c 'import sys; sys.exit(\"no metrics library\")'\n")
    site = SiteSettings(runner="docker", docker_host=docker_host)
    with pytest.raises(ConfigError, match=rf"^{dockerfile}: docker build failed: .*no metrics library"):
        register_benchmark_folder(folder, BundleIdentities(committee.owner, committee.modeller), store, "docker",
                                  site=site)
    assert registered(committee.owner, committee.modeller) == {"containers": 0, "models": 0, "benchmarks": 0}
