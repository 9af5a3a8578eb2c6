"""Container projects in MedPerf's layout, its older mlcube templates and the flat one: read, checked and packed."""

import os
import shutil
import tarfile
from pathlib import Path

import pytest
import yaml

from medperf.bundle import load_container_project
from medperf.bundle.register import container_payload
from medperf.containers import parse_container_config
from medperf.errors import ConfigError
from medperf.storage import ObjectStore
from medperf.storage.local_folder import file_url_path

CONTRACT = Path(__file__).resolve().parents[1] / "containers" / "contract" / "projects"


def names(url: str) -> set[str]:
    with tarfile.open(file_url_path(url)) as tar:
        return set(tar.getnames())


def test_medperf_layout_packs_workspace_parameters_and_files_but_not_local_run_outputs(store: ObjectStore) -> None:
    payload = container_payload("m", CONTRACT / "model_medperf_layout", store)
    assert payload.parameters == {"threshold": 10}  # workspace/parameters.yaml
    assert payload.additional_files_url and names(payload.additional_files_url) == {"weights.yaml"}
    assert payload.source_archive_url
    assert names(payload.source_archive_url) == {
        "Dockerfile", "container_config.yaml", "project", "project/infer.py", "project/requirements.txt"}  # fmt: skip


def test_flat_layout_keeps_its_parameters_and_code_at_the_top(store: ObjectStore) -> None:
    payload = container_payload("p", CONTRACT / "prep_metadata", store)
    assert payload.parameters == {"scale": 3}
    assert payload.additional_files_url is None
    assert payload.source_archive_url
    assert names(payload.source_archive_url) == {"Dockerfile", "container_config.yaml", "parameters.yaml", "prep.py"}


def test_mlcube_yaml_is_registered_as_the_equivalent_container_config(store: ObjectStore) -> None:
    payload = container_payload("c", CONTRACT / "model_mlcube", store)
    config = parse_container_config(payload.config)
    infer = config.tasks["infer"]
    assert payload.image == config.image == "medperf/contract-mlcube:1.0"
    assert infer.run_args.command == (
        "infer", "--data_path=/mlcube_io0/data", "--parameters_file=/mlcube_io1/parameters.yaml",
        "--output_path=/mlcube_io2/predictions", "--weights=/mlcube_io3/additional_files/weights.yaml",
    )  # fmt: skip
    assert {name: v.mount_path for name, v in infer.input_volumes.items()} == {
        "data_path": "/mlcube_io0/data", "parameters_file": "/mlcube_io1/parameters.yaml",
        "additional_files": "/mlcube_io3/additional_files"}  # fmt: skip
    assert payload.parameters == {"offset": 1}


def test_medperfs_older_template_with_mlcube_folder_and_build_context(tmp_path: Path, store: ObjectStore) -> None:
    project = tmp_path / "cnn"
    (project / "mlcube" / "workspace" / "additional_files").mkdir(parents=True)
    shutil.copytree(CONTRACT / "model_mlcube" / "project", project / "project")
    shutil.copy(CONTRACT / "model_mlcube" / "workspace" / "parameters.yaml", project / "mlcube" / "workspace")
    (project / "mlcube" / "workspace" / "additional_files" / "weights.yaml").write_text("weight: 2\n")
    mlcube = yaml.safe_load((CONTRACT / "model_mlcube" / "mlcube.yaml").read_text())
    mlcube["docker"]["build_context"] = "../project"
    (project / "mlcube" / "mlcube.yaml").write_text(yaml.safe_dump(mlcube))
    (project / "project" / "Dockerfile").write_text(
        "FROM medperf/base:bookworm\nCOPY . /mlcube_project\nENTRYPOINT [\"python3\", \"/mlcube_project/mlcube.py\"]\n"
    )
    loaded = load_container_project(project)
    assert loaded.layout.dockerfile == project / "project" / "Dockerfile"
    assert loaded.layout.build_context == project / "project"
    assert loaded.requirements == ("PyYAML==6.0.2",)
    assert loaded.dockerfile.destinations == ("/mlcube_project",)
    payload = container_payload("cnn", project, store)
    assert payload.parameters == {"offset": 1}
    assert payload.additional_files_url and names(payload.additional_files_url) == {"weights.yaml"}


def test_a_symlink_in_the_project_is_refused_naming_it(tmp_path: Path) -> None:
    project = tmp_path / "model"
    shutil.copytree(CONTRACT / "model_medperf_layout", project)
    link = project / "project" / "secrets.txt"
    os.symlink("/etc/hostname", link)
    with pytest.raises(ConfigError) as caught:
        load_container_project(project)
    assert str(caught.value).startswith(f"{link}: is a symbolic link")
    assert "\n" not in str(caught.value)


def test_a_symlink_among_local_run_outputs_does_not_matter(tmp_path: Path, store: ObjectStore) -> None:
    project = tmp_path / "model"
    shutil.copytree(CONTRACT / "model_medperf_layout", project)
    os.symlink("/etc/hostname", project / "workspace" / "predictions" / "link")
    payload = container_payload("m", project, store)
    assert payload.source_archive_url and not any("workspace" in name for name in names(payload.source_archive_url))


def test_a_docker_archive_at_a_url_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "archive"
    shutil.copytree(CONTRACT / "model_archive", project)
    config = project / "container_config.yaml"
    config.write_text(config.read_text().replace("image: image.tar", "image: https://storage.example/model.tar"))
    with pytest.raises(ConfigError, match=rf"^{config}: image: 'https://storage.example/model.tar' is a URL"):
        load_container_project(project)


def test_a_mount_over_the_code_is_refused_at_load(tmp_path: Path) -> None:
    project = tmp_path / "model"
    shutil.copytree(CONTRACT / "model_medperf_layout", project)
    config = project / "container_config.yaml"
    config.write_text(config.read_text().replace("/mlcommons/volumes/additional_files", "/project"))
    with pytest.raises(ConfigError, match=rf"^{config}: tasks.infer.input_volumes.additional_files.mount_path: "
                                          r"'/project' would hide the code"):
        load_container_project(project)
