"""Behaviour of both runners with real containers / sandboxed processes."""

import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from medperf.containers import run_checked
from medperf.containers.config import ContainerConfig
from medperf.errors import ConfigError, ContainerTaskFailed

from .conftest import RunnerCase

Config = Callable[..., ContainerConfig]


def _owners(root: Path) -> set[int]:
    return {path.lstat().st_uid for path in [root, *root.rglob("*")]}


def test_outputs_appear_where_the_contract_says(
    case: RunnerCase, probe_config: Config, io_dirs: dict[str, Path], tmp_path: Path
) -> None:
    config = probe_config("copy", "/mlcommons/volumes/data", "/mlcommons/volumes/output")
    result = run_checked(case.runner, case.spec(config), "infer", io_dirs, log_dir=tmp_path / "logs")
    out = io_dirs["output_path"]
    assert (out / "case-1.txt").read_text() == "LEFT LUNG\n"
    assert (out / "case-2.txt").read_text() == "RIGHT LUNG\n"
    assert (out / "nested" / "done.txt").read_text() == "ok\n"
    assert _owners(out) == {os.getuid()}
    assert result.exit_code == 0 and not result.timed_out
    assert result.log_path.parent == tmp_path / "logs" and result.log_path.name.startswith("infer-")


def test_network_connection_fails(
    case: RunnerCase, probe_config: Config, io_dirs: dict[str, Path], tmp_path: Path
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        config = probe_config("connect", "127.0.0.1", str(port))
        result = case.runner.run(case.spec(config), "infer", io_dirs, log_dir=tmp_path / "logs")
    assert result.exit_code == 3, result.log_tail
    assert "connect failed" in result.log_tail


def test_writing_into_an_input_fails(
    case: RunnerCase, probe_config: Config, io_dirs: dict[str, Path], tmp_path: Path
) -> None:
    config = probe_config("write", "/mlcommons/volumes/data/case-1.txt")
    result = case.runner.run(case.spec(config), "infer", io_dirs, log_dir=tmp_path / "logs")
    assert result.exit_code == 4, result.log_tail
    assert "Read-only file system" in result.log_tail
    assert (io_dirs["data_path"] / "case-1.txt").read_text() == "left lung\n"


def test_task_past_its_timeout_is_killed_with_a_clear_message(
    case: RunnerCase, probe_config: Config, io_dirs: dict[str, Path], tmp_path: Path
) -> None:
    config = probe_config("sleep", "120")
    with pytest.raises(ContainerTaskFailed) as caught:
        run_checked(case.runner, case.spec(config), "infer", io_dirs, log_dir=tmp_path / "logs", timeout_s=2)
    message = str(caught.value)
    assert "task 'infer'" in message and "timeout of 2s" in message and "killed" in message
    result = caught.value.result  # type: ignore[attr-defined]
    assert result.timed_out and result.duration_s < 30


def test_crash_reports_exit_code_and_log_tail(
    case: RunnerCase, probe_config: Config, io_dirs: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(ContainerTaskFailed) as caught:
        run_checked(case.runner, case.spec(probe_config("crash")), "infer", io_dirs, log_dir=tmp_path / "logs")
    message = str(caught.value)
    assert "exit code 7" in message
    assert "fatal: the model weights are corrupt" in message
    assert "working on step 0\n" not in message  # only the tail, the full log stays in the file
    (log,) = (tmp_path / "logs").iterdir()
    assert "working on step 0\n" in log.read_text()


def test_missing_input_is_refused_before_running(case: RunnerCase, probe_config: Config, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs the input 'data_path'"):
        case.runner.run(case.spec(probe_config("noop")), "infer", {"output_path": tmp_path / "o"}, log_dir=tmp_path)
