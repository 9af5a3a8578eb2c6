"""Tests of container_config.yaml parsing and validation."""

import copy
from pathlib import Path
from typing import Any

import pytest

from medperf.containers import container_kind, load_container_config, parse_container_config
from medperf.errors import ConfigError

FIXTURE = Path(__file__).parents[1] / "fixtures" / "container_project"

PREP: dict[str, Any] = {
    "container_type": "DockerImage",
    "image": "medperf/prep:1.0",
    "tasks": {
        "prepare": {
            "run_args": {"command": "python3 /workspace/prepare.py"},
            "input_volumes": {
                "data_path": {"mount_path": "/mlcommons/volumes/raw_data", "type": "directory"},
                "labels_path": {"mount_path": "/mlcommons/volumes/raw_labels", "type": "directory"},
                "parameters_file": {"mount_path": "/mlcommons/volumes/parameters/p.yaml", "type": "file"},
            },
            "output_volumes": {
                "output_path": {"mount_path": "/mlcommons/volumes/data", "type": "directory"},
                "output_labels_path": {"mount_path": "/mlcommons/volumes/labels", "type": "directory"},
            },
        },
        "sanity_check": {
            "run_args": {"command": ["python3", "/workspace/check.py"]},
            "input_volumes": {"data_path": {"mount_path": "/mlcommons/volumes/data", "type": "directory"}},
        },
        "statistics": {
            "run_args": {"command": "python3 /workspace/stats.py", "environment": {"SEED": 3}},
            "input_volumes": {"data_path": {"mount_path": "/mlcommons/volumes/data", "type": "directory"}},
            "output_volumes": {"output_path": {"mount_path": "/mlcommons/volumes/s/statistics.yaml", "type": "file"}},
        },
    },
}


def test_fixture_project_parses_as_a_model() -> None:
    config = load_container_config(FIXTURE / "container_config.yaml")
    infer = config.tasks["infer"]
    assert infer.run_args.command[:2] == ("python3", "/workspace/infer.py")
    assert infer.input_volumes["parameters_file"].type == "file"
    assert infer.output_volumes["output_path"].mount_path == "/mlcommons/volumes/predictions"
    assert container_kind(config) == "model"


def test_data_preparator_parses_with_list_commands_and_environment() -> None:
    config = parse_container_config(PREP)
    assert container_kind(config) == "data_preparator"
    assert config.tasks["sanity_check"].run_args.command == ("python3", "/workspace/check.py")
    assert config.tasks["statistics"].run_args.environment == {"SEED": "3"}
    assert config.image == "medperf/prep:1.0"


def _broken(path: list[str], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(PREP)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        (["tasks", "train"], {"run_args": {"command": "x"}}, "tasks.train"),
        (
            ["tasks", "sanity_check", "input_volumes", "predictions"],
            {"mount_path": "/p", "type": "directory"},
            "tasks.sanity_check.input_volumes.predictions",
        ),
        (
            ["tasks", "prepare", "input_volumes", "data_path", "mount_path"],
            "mlcommons/raw",
            "tasks.prepare.input_volumes.data_path.mount_path",
        ),
        (
            ["tasks", "prepare", "output_volumes", "output_path", "mount_path"],
            "/mlcommons/../etc",
            "tasks.prepare.output_volumes.output_path.mount_path",
        ),
        (["tasks", "prepare", "run_args", "privileged"], True, "tasks.prepare.run_args.privileged"),
        (["tasks", "prepare", "run_args", "network"], "host", "tasks.prepare.run_args.network"),
        (
            ["tasks", "statistics", "output_volumes", "output_path", "type"],
            "socket",
            "tasks.statistics.output_volumes.output_path.type",
        ),
        (["tasks", "prepare", "run_args", "command"], "", "tasks.prepare.run_args.command"),
        (["container_type"], "SingularityFile", "container_type"),
        (["container_type"], "EncryptedDockerArchive", "container_type"),
        (["tasks", "prepare", "input_volumes", "data_path", "mount_path"], "/etc/data", "data_path.mount_path"),
        (["tasks", "prepare", "input_volumes", "data_path", "mount_path"], "/", "data_path.mount_path"),
    ],
    ids=[
        "unknown-task",
        "foreign-input",
        "relative",
        "dotdot",
        "privileged",
        "network",
        "type",
        "empty-command",
        "singularity",
        "encrypted",
        "system-folder",
        "root",
    ],
)
def test_invalid_config_is_refused_in_one_line_naming_the_key(path: list[str], value: Any, named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_container_config(_broken(path, value))
    message = str(caught.value)
    assert named in message
    assert "\n" not in message


def test_infer_may_not_take_labels() -> None:
    data = {
        "tasks": {
            "infer": {
                "run_args": {"command": "python3 infer.py"},
                "input_volumes": {"labels_path": {"mount_path": "/labels", "type": "directory"}},
            }
        }
    }
    with pytest.raises(ConfigError, match="tasks.infer.input_volumes.labels_path"):
        parse_container_config(data)


def test_load_names_the_file_on_bad_yaml(tmp_path: Path) -> None:
    path = tmp_path / "container_config.yaml"
    path.write_text("tasks: [unclosed\n")
    with pytest.raises(ConfigError, match=str(path)):
        load_container_config(path)


def test_mixed_kinds_are_refused() -> None:
    data = copy.deepcopy(PREP)
    data["tasks"]["infer"] = {"run_args": {"command": "python3 infer.py"}}
    with pytest.raises(ConfigError, match="not one kind of container"):
        container_kind(parse_container_config(data))


def test_run_args_and_command_are_optional() -> None:
    config = parse_container_config({"tasks": {
        "evaluate": {"output_volumes": {"output_path": {"mount_path": "/r/results.yaml", "type": "file"}}},
        "infer": {"run_args": {"entrypoint": ["python3", "/project/x.py"], "environment": {"A": "1"}}},
    }})  # fmt: skip
    assert config.tasks["evaluate"].run_args.command is None
    assert config.tasks["evaluate"].run_args.entrypoint is None
    assert config.tasks["infer"].run_args.command is None
    assert config.tasks["infer"].run_args.entrypoint == ("python3", "/project/x.py")


def test_optional_metadata_and_local_outputs_are_accepted() -> None:
    volume = {"mount_path": "/m", "type": "directory"}
    config = parse_container_config({"tasks": {
        "sanity_check": {"input_volumes": {"metadata_path": volume}},
        "statistics": {"input_volumes": {"metadata_path": volume}},
        "evaluate": {"output_volumes": {"local_outputs_path": volume}},
    }})  # fmt: skip
    assert config.tasks["sanity_check"].input_volumes["metadata_path"].mount_path == "/m"
    assert "local_outputs_path" in config.tasks["evaluate"].output_volumes


@pytest.mark.parametrize("container_type", ["DockerImage", "DockerArchive", None])
def test_runnable_container_types(container_type: str | None) -> None:
    data = copy.deepcopy(PREP)
    data["container_type"] = container_type
    assert parse_container_config(data).runnable_type == (container_type or "DockerImage")


def test_workspace_is_no_longer_reserved_and_tmp_below_is_allowed() -> None:
    volume = {"mount_path": "/workspace/data", "type": "directory"}
    out = {"mount_path": "/tmp/out", "type": "directory"}
    config = parse_container_config({"tasks": {"infer": {"input_volumes": {"data_path": volume},
                                                         "output_volumes": {"output_path": out}}}})
    assert config.tasks["infer"].output_volumes["output_path"].mount_path == "/tmp/out"


def test_config_as_dict_parses_back_to_the_same_config() -> None:
    from medperf.containers.config import config_as_dict

    parsed = parse_container_config(PREP)
    assert parse_container_config(config_as_dict(parsed)) == parsed


def test_mlcube_translation_refuses_a_parameter_medperf_does_not_pass() -> None:
    from medperf.containers.mlcube import mlcube_as_container_config

    data = {"docker": {"image": "x/y:1"}, "tasks": {"infer": {"parameters": {
        "inputs": {"data_path": "data/", "checkpoint": "models/ckpt.pt"},
        "outputs": {"output_path": {"type": "directory", "default": "predictions"}},
    }}}}  # fmt: skip
    with pytest.raises(ConfigError, match=r"^mlcube.yaml: tasks.infer.parameters.inputs.checkpoint: MedPerf does not"):
        mlcube_as_container_config(data, "mlcube.yaml")


def test_mlcube_translation_of_medperfs_metrics_cube() -> None:
    from medperf.containers.mlcube import mlcube_as_container_config

    inputs = {"predictions": "predictions", "labels": "labels", "parameters_file": "parameters.yaml"}
    outputs = {"output_path": {"type": "file", "default": "results.yaml"}}
    data = {"docker": {"image": "mlcommons/metrics:0.0.0", "build_context": "../project"},
            "tasks": {"evaluate": {"parameters": {"inputs": inputs, "outputs": outputs}}}}
    config = parse_container_config(mlcube_as_container_config(data, "mlcube.yaml"))
    evaluate = config.tasks["evaluate"]
    assert evaluate.run_args.command == ("evaluate", "--predictions=/mlcube_io0/predictions",
                                         "--labels=/mlcube_io1/labels", "--parameters_file=/mlcube_io2/parameters.yaml",
                                         "--output_path=/mlcube_io3/results.yaml")
    assert evaluate.output_volumes["output_path"].type == "file"
    assert container_kind(config) == "evaluator"
