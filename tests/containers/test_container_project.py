"""An unmodified MedPerf-style container project run through both runners, inputs from the object store."""

import tarfile
from pathlib import Path

import pytest

from medperf.containers import ContainerSpec, load_container_config, make_runner, run_checked
from medperf.containers.tarball import fetch_tarball, pack_folder, unpack_tarball
from medperf.errors import ConfigError, HashMismatch
from medperf.storage.local_folder import LocalFolderStore, file_url_path

from .conftest import MODEL_IMAGE, MODEL_PROJECT, site_settings

CASES = {"case-001": "0.2,0.4,0.6", "case-002": "1.0,1.0,1.0", "case-003": "0,0,0.1"}


def _data(tmp_path: Path) -> Path:
    data = tmp_path / "prepared"
    data.mkdir()
    for case, row in CASES.items():
        (data / f"{case}.csv").write_text(row + "\n")
    return data


@pytest.mark.parametrize("kind", ["sandbox", pytest.param("docker", marks=pytest.mark.docker)])
def test_fixture_project_runs_unchanged(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "store", tmp_path / "cache")
    tarball = store.put_file(pack_folder(MODEL_PROJECT / "additional_files", tmp_path / "additional.tar.gz"))
    additional = fetch_tarball(store, tarball.url, tarball.sha256, tmp_path / "site" / "additional_files")
    docker_host = request.getfixturevalue("docker_host") if kind == "docker" else None
    image_id = request.getfixturevalue("model_image") if kind == "docker" else None
    spec = ContainerSpec(
        name="test-model",
        config=load_container_config(MODEL_PROJECT / "container_config.yaml"),
        image=MODEL_IMAGE,
        image_digest=image_id,
        source_dir=MODEL_PROJECT,
        parameters_file=MODEL_PROJECT / "parameters.yaml",
        additional_files_dir=additional,
    )
    runner = make_runner(site_settings(tmp_path, kind, docker_host))
    predictions = tmp_path / "predictions"
    result = run_checked(
        runner,
        spec,
        "infer",
        {"data_path": _data(tmp_path), "output_path": predictions},
        log_dir=tmp_path / "logs",
    )
    assert (predictions / "predictions.csv").read_text().splitlines() == [
        "case,score,label",
        "case-001,0.4000,0",
        "case-002,1.0000,1",
        "case-003,0.0250,0",
    ]
    assert "scored 3 cases" in result.log_path.read_text()


def test_tampered_additional_files_tarball_is_refused(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "store", tmp_path / "cache")
    stored = store.put_file(pack_folder(MODEL_PROJECT / "additional_files", tmp_path / "additional.tar.gz"))
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "weights.yaml").write_text("weights: [9, 9, 9]\n")
    with tarfile.open(file_url_path(stored.url), "w:gz") as tar:
        tar.add(evil / "weights.yaml", "weights.yaml")
    with pytest.raises(HashMismatch):
        fetch_tarball(store, stored.url, stored.sha256, tmp_path / "site" / "additional_files")
    assert not (tmp_path / "site" / "additional_files").exists()


def test_tarball_escaping_its_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x")
    archive = tmp_path / "escape.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "x.txt", "../outside.txt")
    with pytest.raises(ConfigError, match="cannot unpack"):
        unpack_tarball(archive, tmp_path / "dest" / "files")
    assert not (tmp_path / "dest" / "outside.txt").exists()


def test_packing_is_reproducible(tmp_path: Path) -> None:
    first = pack_folder(MODEL_PROJECT, tmp_path / "a.tar.gz").read_bytes()
    second = pack_folder(MODEL_PROJECT, tmp_path / "b.tar.gz").read_bytes()
    assert first == second
