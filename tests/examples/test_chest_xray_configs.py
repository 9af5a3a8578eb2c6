"""The example is a MedPerf container project set: layout, pinned requirements, Dockerfiles, configs, benchmark.yaml."""

import re
import shlex

import pytest
import yaml
from chest_xray_harness import CONTAINER_NAMES, CONTAINERS, EXAMPLE, expected_campaign, load_config, volumes_of

from medperf.bundle.benchmark_file import load_benchmark_file

PINNED = re.compile(r"^[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*$")
TASKS = {
    "prep": {"prepare", "sanity_check", "statistics"},
    "model-radial": {"infer"},
    "model-template": {"infer"},
    "evaluator": {"evaluate"},
}


@pytest.mark.parametrize("container", CONTAINER_NAMES)
def test_project_layout_is_medperfs(container: str) -> None:
    folder = CONTAINERS / container
    assert (folder / "container_config.yaml").is_file() and (folder / "Dockerfile").is_file()
    assert (folder / "project" / "requirements.txt").is_file()
    assert (folder / "workspace" / "parameters.yaml").is_file()
    assert set(load_config(container)) == {"container_type", "image", "tasks"}
    assert load_config(container)["container_type"] == "DockerImage"
    assert set(load_config(container)["tasks"]) == TASKS[container]


@pytest.mark.parametrize("container", CONTAINER_NAMES)
def test_requirements_are_pinned(container: str) -> None:
    lines = [
        line.strip() for line in (CONTAINERS / container / "project" / "requirements.txt").read_text().splitlines()
    ]
    requirements = [line for line in lines if line and not line.startswith("#")]
    assert requirements and all(PINNED.match(line) for line in requirements), requirements


@pytest.mark.parametrize("container", CONTAINER_NAMES)
def test_dockerfile_installs_the_requirements_on_the_local_base(container: str) -> None:
    lines = [
        line.strip()
        for line in (CONTAINERS / container / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "FROM medperf/base:bookworm"
    assert "COPY project /project" in lines
    assert "RUN pip install --no-cache-dir -r /project/requirements.txt" in lines


@pytest.mark.parametrize("container", CONTAINER_NAMES)
def test_commands_name_project_scripts_and_declared_mounts(container: str) -> None:
    for task, spec in load_config(container)["tasks"].items():
        volumes = volumes_of(container, task)
        assert set(spec.get("run_args") or {}) <= {"command"}
        command = (spec.get("run_args") or {}).get("command")
        if command is None:
            continue
        tokens = shlex.split(command)
        assert tokens[0] == "python3" and tokens[1].startswith("/project/")
        assert (CONTAINERS / container / tokens[1].removeprefix("/")).is_file()
        mounts = [t for t in tokens if t.startswith("/mlcommons/")]
        assert sorted(mounts) == sorted(v["mount_path"] for v in volumes.values()), task
        for name in volumes:  # the option of each volume is its logical name
            assert f"--{name}" in tokens, (task, name)


def test_benchmark_yaml_loads_and_names_every_container() -> None:
    benchmark = load_benchmark_file(EXAMPLE)
    assert benchmark.name == "chest-xray-nodules"
    assert benchmark.reference_model == "radial"
    assert {name: path.name for name, path in benchmark.models.items()} == {
        "radial": "model-radial",
        "template": "model-template",
    }
    assert benchmark.prep_dir == CONTAINERS / "prep" and benchmark.evaluator_dir == CONTAINERS / "evaluator"
    assert benchmark.demo_data == (EXAMPLE / "data" / "demo" / "images", EXAMPLE / "data" / "demo" / "labels")
    assert benchmark.sanity_suite is not None and benchmark.sanity_suite["target"] == "manifest"
    assert benchmark.release_policy.min_cell_count == 5 and not benchmark.release_policy.allow_per_case


def test_release_policy_allows_exactly_the_keys_the_evaluator_writes() -> None:
    policy = yaml.safe_load((EXAMPLE / "benchmark" / "benchmark.yaml").read_text())["release_policy"]
    for expected in expected_campaign().values():
        for results in expected.results.values():
            assert list(results) == policy["allowed_metric_keys"]
