"""Sandbox-only behaviour: refusing or announcing unisolated runs."""

from collections.abc import Callable
from pathlib import Path

import pytest

from medperf.containers import parse_container_config
from medperf.containers.config import ContainerConfig
from medperf.containers.sandbox_runner import SandboxRunner
from medperf.errors import ConfigError

from .conftest import RunnerCase, site_settings

Config = Callable[..., ContainerConfig]


def _without_bwrap(runner: SandboxRunner) -> SandboxRunner:
    runner._probed = True
    runner._isolation_problem = "bwrap (bubblewrap) is not installed"
    return runner


def test_bwrap_isolation_is_available_here() -> None:
    assert SandboxRunner(site_settings(Path("/tmp"), "sandbox")).isolation_problem() is None


def test_no_isolation_is_refused_unless_allowed(probe_config: Config, io_dirs: dict[str, Path], tmp_path: Path) -> None:
    runner = _without_bwrap(SandboxRunner(site_settings(tmp_path, "sandbox")))
    spec = RunnerCase("sandbox", runner, runner.settings, None).spec(probe_config("noop"))
    with pytest.raises(ConfigError, match="MEDPERF_SITE_ALLOW_UNISOLATED"):
        runner.run(spec, "infer", io_dirs, log_dir=tmp_path / "logs")


def test_allowed_unisolated_run_maps_mount_paths_and_says_so(
    probe_config: Config, io_dirs: dict[str, Path], tmp_path: Path
) -> None:
    settings = site_settings(tmp_path, "sandbox").model_copy(update={"allow_unisolated": True})
    runner = _without_bwrap(SandboxRunner(settings))
    config = probe_config("copy", "/mlcommons/volumes/data", "/mlcommons/volumes/output")
    spec = RunnerCase("sandbox", runner, settings, None).spec(config)
    result = runner.run(spec, "infer", io_dirs, log_dir=tmp_path / "logs")
    assert result.exit_code == 0, result.log_tail
    assert (io_dirs["output_path"] / "case-2.txt").read_text() == "RIGHT LUNG\n"
    assert "unisolated" in result.log_path.read_text()


def test_mount_paths_inside_existing_host_folders_and_workspace(io_dirs: dict[str, Path], tmp_path: Path) -> None:
    config = parse_container_config(
        {
            "tasks": {
                "infer": {
                    "run_args": {"command": "python3 /workspace/probe.py copy /usr/share/medperf-in /workspace/out"},
                    "input_volumes": {"data_path": {"mount_path": "/usr/share/medperf-in", "type": "directory"}},
                    "output_volumes": {"output_path": {"mount_path": "/workspace/out", "type": "directory"}},
                }
            }
        }
    )
    runner = SandboxRunner(site_settings(tmp_path, "sandbox"))
    spec = RunnerCase("sandbox", runner, runner.settings, None).spec(config)
    result = runner.run(spec, "infer", io_dirs, log_dir=tmp_path / "logs")
    assert result.exit_code == 0, result.log_tail
    assert (io_dirs["output_path"] / "case-1.txt").read_text() == "LEFT LUNG\n"
    assert not Path("/usr/share/medperf-in").exists()


def test_memory_limit_stops_a_greedy_task(probe_config: Config, io_dirs: dict[str, Path], tmp_path: Path) -> None:
    runner = SandboxRunner(site_settings(tmp_path, "sandbox"))  # memory_limit_mb=1024
    spec = RunnerCase("sandbox", runner, runner.settings, None).spec(probe_config("alloc", "2048"))
    result = runner.run(spec, "infer", io_dirs, log_dir=tmp_path / "logs")
    assert result.exit_code != 0
    assert "MemoryError" in result.log_tail
