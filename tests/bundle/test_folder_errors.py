"""A committee's own copy of the example: mistakes are reported with the file and the key to fix."""

import shutil
from pathlib import Path

import pytest
import yaml

from medperf.bundle import load_benchmark_file, load_container_project
from medperf.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "breast_cancer"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The example without its site data (a committee's starting point)."""
    target = tmp_path / "my-benchmark"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("site-*", "__pycache__"))
    return target


def edit_benchmark(folder: Path, **changes: object) -> Path:
    path = folder / "benchmark" / "benchmark.yaml"
    data = yaml.safe_load(path.read_text())
    data.update(changes)
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_example_is_valid(copy: Path) -> None:
    file = load_benchmark_file(copy)
    assert file.name == "breast-cancer-wdbc"
    assert file.reference_model == "logreg"
    assert set(file.models) == {"logreg", "mlp", "gnb"}
    assert file.demo_data is not None and file.sanity_suite is not None


def test_missing_container_folder_names_file_and_key(copy: Path) -> None:
    path = edit_benchmark(copy, models={"logreg": "containers/model-logreg", "svm": "containers/model-svm"})
    with pytest.raises(ConfigError) as err:
        load_benchmark_file(copy)
    assert str(err.value).startswith(f"{path}: models.svm: 'containers/model-svm' is not an existing folder")


def test_unknown_key_names_file_and_key(copy: Path) -> None:
    path = edit_benchmark(copy, evaluater_container="containers/evaluator")
    with pytest.raises(ConfigError, match=rf"^{path}: evaluater_container: Extra inputs are not permitted"):
        load_benchmark_file(copy)


def test_bad_release_policy_value_names_the_nested_key(copy: Path) -> None:
    path = edit_benchmark(copy, release_policy={"min_cell_count": 0})
    with pytest.raises(ConfigError, match=rf"^{path}: release_policy.min_cell_count: "):
        load_benchmark_file(copy)


def test_model_folder_used_as_evaluator_is_refused(copy: Path) -> None:
    from medperf.bundle.register import container_payload
    from medperf.storage.local_folder import LocalFolderStore

    store = LocalFolderStore(copy.parent / "store", copy.parent / "cache")
    with pytest.raises(ConfigError, match=r"container_config.yaml: tasks: this is a model container"):
        container_payload("x", copy / "containers" / "model-mlp", store, expected="evaluator")


def test_container_without_image_names_the_key(copy: Path) -> None:
    config = copy / "containers" / "model-gnb" / "container_config.yaml"
    data = yaml.safe_load(config.read_text())
    del data["image"]
    config.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=rf"^{config}: image: missing"):
        load_container_project(copy / "containers" / "model-gnb")
