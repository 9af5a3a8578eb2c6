"""Container projects follow the contract: logical names per task, mount paths, Dockerfile, release policy."""

from pathlib import Path

import pytest
import yaml
from breast_cancer_harness import CONTAINERS, EXAMPLE

from medperf.schemas.entities import ReleasePolicy

LOGICAL_NAMES = {
    "prepare": (
        {"data_path", "labels_path", "parameters_file", "additional_files"},
        {"output_path", "output_labels_path", "report_file"},
    ),
    "sanity_check": ({"data_path", "labels_path", "parameters_file"}, set()),
    "statistics": ({"data_path", "labels_path", "parameters_file"}, {"output_path"}),
    "infer": ({"data_path", "parameters_file", "additional_files"}, {"output_path"}),
    "evaluate": ({"predictions", "labels", "parameters_file"}, {"output_path"}),
}
TASKS_OF = {
    "prep": {"prepare", "sanity_check", "statistics"},
    "model-logreg": {"infer"},
    "model-mlp": {"infer"},
    "model-gnb": {"infer"},
    "evaluator": {"evaluate"},
}
FILE_OUTPUTS = {("prepare", "report_file"), ("statistics", "output_path"), ("evaluate", "output_path")}


def load_config(container: str) -> dict:
    return yaml.safe_load((CONTAINERS / container / "container_config.yaml").read_text())


@pytest.mark.parametrize("container", list(TASKS_OF))
def test_config_declares_exactly_the_design_volumes(container: str) -> None:
    config = load_config(container)
    assert set(config["tasks"]) == TASKS_OF[container]
    for task, spec in config["tasks"].items():
        inputs, outputs = spec["input_volumes"], spec.get("output_volumes") or {}
        assert (set(inputs), set(outputs)) == LOGICAL_NAMES[task]
        command = spec["run_args"]["command"].split()
        for name, volume in {**inputs, **outputs}.items():
            assert volume["mount_path"].startswith("/mlcommons/volumes/")
            expected_type = "file" if name == "parameters_file" or (task, name) in FILE_OUTPUTS else "directory"
            assert volume["type"] == expected_type, f"{task}.{name}"
            assert volume["mount_path"] in command, f"{task}: {name} is not passed to the command"
        script = next(token for token in command if token.startswith("/workspace/"))
        assert (CONTAINERS / container / script.removeprefix("/workspace/")).is_file()


@pytest.mark.parametrize("container", list(TASKS_OF))
def test_container_project_files(container: str) -> None:
    folder = CONTAINERS / container
    assert (folder / "Dockerfile").read_text().split("\n")[:3] == [
        "FROM medperf/base:bookworm",
        "COPY . /workspace",
        "WORKDIR /workspace",
    ]
    assert isinstance(yaml.safe_load((folder / "parameters.yaml").read_text()), dict)


ALLOWED_CONTAINER_IMPORTS = {"numpy", "yaml", "openpyxl"}


@pytest.mark.parametrize("container", list(TASKS_OF))
def test_container_code_imports_only_stdlib_numpy_yaml_openpyxl(container: str) -> None:
    import ast
    import sys

    folder = CONTAINERS / container
    local = {p.stem for p in folder.glob("*.py")}
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names | ALLOWED_CONTAINER_IMPORTS | local, f"{path.name}: {name}"


def test_benchmark_release_policy_matches_what_the_containers_emit() -> None:
    benchmark = yaml.safe_load((EXAMPLE / "benchmark" / "benchmark.yaml").read_text())
    policy = ReleasePolicy.model_validate(benchmark["release_policy"])
    assert policy.min_cell_count == 5 and not policy.allow_per_case
    metrics = ["auc", "accuracy", "sensitivity", "specificity"]
    expected_metrics = [k for m in metrics for k in (m, f"{m}_ci_low", f"{m}_ci_high")] + ["num_cases"]
    assert policy.allowed_metric_keys == expected_metrics
    assert {"num_cases", "label_counts", "features", "min_cell_count", "suppressed"} <= set(
        policy.allowed_statistics_keys
    )
    prep_parameters = yaml.safe_load((CONTAINERS / "prep" / "parameters.yaml").read_text())
    assert prep_parameters["min_cell_count"] == policy.min_cell_count
    for key in ("data_preparation_container", "reference_model", "evaluator_container"):
        assert (EXAMPLE / benchmark[key] / "container_config.yaml").is_file()
    for key in ("data_path", "labels_path"):
        assert Path(EXAMPLE / benchmark["demo_dataset"][key]).is_dir()
    assert benchmark["reference_model"] == "containers/model-logreg"


KIND_OF = {"prep": "data_preparator", "evaluator": "evaluator"}


@pytest.mark.parametrize("container", list(TASKS_OF))
def test_config_is_valid_for_the_runners(container: str) -> None:
    from medperf.containers.config import container_kind, load_container_config

    config = load_container_config(CONTAINERS / container / "container_config.yaml")
    assert container_kind(config) == KIND_OF.get(container, "model")
    assert set(config.tasks) == TASKS_OF[container]
