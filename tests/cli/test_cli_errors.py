"""User mistakes and refused actions end in one red line on stderr and exit code 1."""

from collections.abc import Callable
from pathlib import Path

from medperf.cli.local_server import free_port

from .medperf_runner import MedPerfCli


def one_line_error(medperf: MedPerfCli, *args: str) -> str:
    """Run a command that must fail with exactly one line on stderr and nothing on stdout; return the line."""
    result = medperf(*args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_missing_config_file_is_named(medperf: MedPerfCli, admin_profile: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "container_config.yaml"
    line = one_line_error(
        medperf,
        "container",
        "submit",
        "--name",
        "prep",
        "--config",
        str(missing),
        "--image",
        "medperf/prep:1.0",
    )
    assert str(missing) in line and "does not exist" in line


def test_malformed_yaml_names_the_file_and_line(
    medperf: MedPerfCli, admin_profile: str, container_config: Callable[[str], Path], tmp_path: Path
) -> None:
    params = tmp_path / "parameters.yaml"
    params.write_text("threshold: 0.5\nlabels: [a, b\n")
    line = one_line_error(
        medperf, "container", "submit", "--name", "prep", "--config", str(container_config("prepare")),
        "--parameters", str(params), "--image", "medperf/prep:1.0",
    )  # fmt: skip
    assert str(params) in line and "line 3" in line


def test_invalid_flag_value_names_the_flag(
    medperf: MedPerfCli, admin_profile: str, container_config: Callable[[str], Path]
) -> None:
    line = one_line_error(
        medperf, "container", "submit", "--name", "prep", "--config", str(container_config("prepare")),
        "--image", "medperf/prep:1.0", "--digest", "md5:123",
    )  # fmt: skip
    assert "--digest" in line


def test_server_conflict_is_one_line_with_the_server_message(
    medperf: MedPerfCli, admin_profile: str, container_config: Callable[[str], Path]
) -> None:
    ids = [
        medperf.json("container", "submit", "--name", task, "--config", str(container_config(task)), "--image", "i:1")[
            "id"
        ]
        for task in ("prepare", "infer", "evaluate")
    ]
    model = medperf.json("model", "submit", "--name", "ref", "--container-id", str(ids[1]))
    bench = medperf.json(
        "benchmark", "submit", "--name", "b", "--prep-container", str(ids[0]),
        "--reference-model", str(model["id"]), "--evaluator", str(ids[2]),
    )  # fmt: skip
    medperf.ok("benchmark", "approve", str(bench["id"]))
    line = one_line_error(medperf, "benchmark", "approve", str(bench["id"]))
    assert line.startswith("error: ") and len(line) > len("error: ")


def test_no_profile_yet_says_how_to_log_in(medperf: MedPerfCli) -> None:
    line = one_line_error(medperf, "benchmark", "ls")
    assert "medperf auth login" in line


def test_unknown_profile_lists_the_known_ones(medperf: MedPerfCli, admin_profile: str) -> None:
    line = one_line_error(medperf, "--profile", "nurse", "benchmark", "ls")
    assert "'nurse'" in line and "admin" in line


def test_unreachable_server_points_to_auth_status(medperf: MedPerfCli) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    line = one_line_error(medperf, "auth", "login", "--token", "t", "--server", dead)
    assert dead in line and "medperf auth status" in line
    assert not (medperf.home / "profiles.yaml").exists()
