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
