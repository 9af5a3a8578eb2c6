"""Each image builds from its own Dockerfile on the local base, and its tasks in docker equal the direct runs."""

import json
import shutil
from pathlib import Path
from typing import Any

import docker
import numpy as np
import pytest
import yaml
from chest_xray_harness import (
    CONTAINER_NAMES,
    CONTAINERS,
    MODELS,
    PreparedSite,
    build_image,
    expected_campaign,
    load_containers_conftest,
    prepare_mounts,
    prepared_example,
    run_direct,
    run_in_docker,
)

pytestmark = pytest.mark.docker

_containers = load_containers_conftest()
docker_host = _containers.docker_host  # the shared fixtures: a real daemon, the base image built if missing
docker_client = _containers.docker_client


@pytest.fixture(scope="module")
def images(docker_client: docker.DockerClient) -> dict[str, str]:
    """container -> image id, every image built once from its project's Dockerfile."""
    return {container: build_image(docker_client, container) for container in CONTAINER_NAMES}


def pins(container: str) -> dict[str, str]:
    lines = (CONTAINERS / container / "project" / "requirements.txt").read_text().splitlines()
    return {line.split("==")[0].lower(): line.split("==")[1] for line in lines if "==" in line}


MODULES = {"numpy": "numpy", "pyyaml": "yaml", "pillow": "PIL"}


@pytest.mark.parametrize("container", CONTAINER_NAMES)
def test_image_runs_python_with_its_pinned_requirements(
    container: str, images: dict[str, str], docker_client: docker.DockerClient
) -> None:
    wanted = pins(container)
    script = "; ".join(f"import {MODULES[name]}; print({MODULES[name]}.__version__)" for name in wanted)
    output = docker_client.containers.run(
        images[container], entrypoint=["python3", "-c", script], network_mode="none", remove=True
    )
    assert output.decode().split() == list(wanted.values())


def same_files(left: Path, right: Path) -> list[str]:
    names = sorted(p.name for p in left.iterdir())
    assert names == sorted(p.name for p in right.iterdir())
    return names


@pytest.mark.parametrize("site", ["site-b", "site-c"])
def test_prep_tasks_in_docker_equal_the_direct_run(
    site: str, images: dict[str, str], docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    direct: PreparedSite = prepared_example()[site]
    mounts = prepare_mounts(direct.raw_data, direct.raw_labels, tmp_path)
    run = run_in_docker(docker_client, images["prep"], "prep", "prepare", mounts)
    assert run.exit_code == 0, run.logs
    for name in same_files(mounts["output_path"], direct.data):
        assert np.load(mounts["output_path"] / name).dtype == np.float32
        assert np.allclose(np.load(mounts["output_path"] / name), np.load(direct.data / name), atol=1e-6), name
    assert (mounts["output_labels_path"] / "labels.yaml").read_bytes() == (direct.labels / "labels.yaml").read_bytes()
    assert (mounts["metadata_path"] / "cases.csv").read_bytes() == (direct.metadata / "cases.csv").read_bytes()
    assert mounts["report_file"].read_bytes() == direct.report.read_bytes()

    prepared = {"data_path": mounts["output_path"], "labels_path": mounts["output_labels_path"]}
    prepared["metadata_path"] = mounts["metadata_path"]
    checked = run_in_docker(docker_client, images["prep"], "prep", "sanity_check", prepared)
    assert checked.exit_code == 0, checked.logs

    in_docker, by_hand = tmp_path / "statistics" / "statistics.yaml", tmp_path / "direct" / "statistics.yaml"
    stats = run_in_docker(docker_client, images["prep"], "prep", "statistics", {**prepared, "output_path": in_docker})
    assert stats.exit_code == 0, stats.logs
    assert run_direct("prep", "statistics", {**prepared, "output_path": by_hand}).returncode == 0
    docker_stats, direct_stats = yaml.safe_load(in_docker.read_text()), yaml.safe_load(by_hand.read_text())
    assert docker_stats.pop("intensity") == pytest.approx(direct_stats.pop("intensity"), abs=2e-6)
    assert docker_stats == direct_stats


def test_sanity_check_in_docker_exits_non_zero_on_bad_data(
    images: dict[str, str], docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    direct = prepared_example()["demo"]
    shutil.copytree(direct.data, tmp_path / "data")
    np.save(tmp_path / "data" / "CXR-D-0002.npy", np.zeros((64, 32), dtype=np.float32))
    mounts = {"data_path": tmp_path / "data", "labels_path": direct.labels, "metadata_path": direct.metadata}
    run = run_in_docker(docker_client, images["prep"], "prep", "sanity_check", mounts)
    assert run.exit_code == 1
    assert "ERROR: data_path/CXR-D-0002.npy: shape (64, 32), expected (64, 64)" in run.logs


def read_predictions(folder: Path) -> dict[str, Any]:
    if (folder / "predictions.yaml").is_file():
        predictions: dict[str, Any] = yaml.safe_load((folder / "predictions.yaml").read_text())
        return predictions
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}


def assert_same_predictions(left: dict[str, Any], right: dict[str, Any]) -> None:
    """Same cases and the same numbers up to float rounding between numpy builds."""
    assert left.keys() == right.keys()
    for case in left:
        a, b = left[case], right[case]
        if isinstance(a, dict):
            assert a["detection"]["row"] == b["detection"]["row"] and a["detection"]["col"] == b["detection"]["col"]
            a, b = a["nodule_probability"], b["nodule_probability"]
        assert a == pytest.approx(b, abs=1e-9), case


@pytest.mark.parametrize("model", list(MODELS))
def test_infer_and_evaluate_in_docker_equal_the_direct_run(
    model: str, images: dict[str, str], docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    expected = expected_campaign()["site-c"]
    container = MODELS[model]
    predictions = tmp_path / "predictions"
    run = run_in_docker(
        docker_client,
        images[container],
        container,
        "infer",
        {"data_path": expected.site.data, "output_path": predictions},
    )
    assert run.exit_code == 0, run.logs
    assert same_files(predictions, expected.predictions[model])
    assert_same_predictions(read_predictions(predictions), read_predictions(expected.predictions[model]))

    results, local = tmp_path / "results" / "results.yaml", tmp_path / "local"
    mounts = {"predictions": predictions, "labels": expected.site.labels, "output_path": results}
    evaluated = run_in_docker(
        docker_client, images["evaluator"], "evaluator", "evaluate", {**mounts, "local_outputs_path": local}
    )
    assert evaluated.exit_code == 0, evaluated.logs  # no run_args: the image's ENTRYPOINT ran
    in_docker = yaml.safe_load(results.read_text())
    assert list(in_docker) == list(expected.results[model])
    for key, value in expected.results[model].items():
        assert in_docker[key] == pytest.approx(value, abs=1e-9), key
    assert (local / "per_case.csv").read_text().count("\n") == in_docker["num_cases"] + 1
