"""Sandbox-only behaviour: unisolated runs, where mounts may go, what a task sees, its limits."""

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from medperf.containers import ContainerSpec, parse_container_config
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


def test_mounts_below_the_code_folder_and_in_the_private_tmp(io_dirs: dict[str, Path], tmp_path: Path) -> None:
    config = parse_container_config(
        {
            "tasks": {
                "infer": {
                    "run_args": {"command": "python3 /workspace/probe.py copy /tmp/medperf-in /workspace/out"},
                    "input_volumes": {"data_path": {"mount_path": "/tmp/medperf-in", "type": "directory"}},
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
    assert not (Path(__file__).parent / "probe_project" / "out").exists()  # the code folder stayed as it was


@pytest.mark.parametrize("mount_path", ["/", "/usr/share/medperf-in", "/etc/x", "/lib64/x", "/tmp", "/proc/x"])
def test_mounts_over_system_folders_are_refused_naming_the_key(mount_path: str) -> None:
    data = {"tasks": {"infer": {"input_volumes": {"data_path": {"mount_path": mount_path, "type": "directory"}}}}}
    with pytest.raises(ConfigError, match=r"tasks.infer.input_volumes.data_path.mount_path: .* system folder") as err:
        parse_container_config(data)
    assert "\n" not in str(err.value)


def test_a_mount_hiding_the_code_is_refused(io_dirs: dict[str, Path], tmp_path: Path) -> None:
    config = parse_container_config(
        {"tasks": {"infer": {"input_volumes": {"data_path": {"mount_path": "/workspace", "type": "directory"}}}}}
    )
    runner = SandboxRunner(site_settings(tmp_path, "sandbox"))
    spec = RunnerCase("sandbox", runner, runner.settings, None).spec(config)
    with pytest.raises(ConfigError, match=r"data_path.mount_path: '/workspace' would hide the code"):
        runner.run(spec, "infer", io_dirs, log_dir=tmp_path / "logs")


def test_the_sandbox_shows_only_system_folders_code_env_and_mounts(io_dirs: dict[str, Path], tmp_path: Path) -> None:
    script = (
        "import os, sys; "
        "print('ROOT', sorted(os.listdir('/'))); "
        "print('PREFIX', sys.prefix); "
        "print('SHADOW', repr(open('/etc/shadow').read()) if os.path.exists('/etc/shadow') else 'absent'); "
        "print('SSH', sorted(os.listdir('/etc/ssh')) if os.path.isdir('/etc/ssh') else 'absent'); "
        "open('/rootfile', 'w')"
    )
    config = parse_container_config(
        {
            "tasks": {
                "infer": {
                    "run_args": {"command": ["python3", "-c", script]},
                    "input_volumes": {"data_path": {"mount_path": "/mlcommons/volumes/data", "type": "directory"}},
                }
            }
        }
    )
    runner = SandboxRunner(site_settings(tmp_path, "sandbox"))
    spec = RunnerCase("sandbox", runner, runner.settings, None).spec(config)
    result = runner.run(spec, "infer", io_dirs, log_dir=tmp_path / "logs")
    log = result.log_path.read_text()
    assert result.exit_code != 0 and "Read-only file system: '/rootfile'" in log  # the root is read-only
    root = eval(log.split("ROOT ", 1)[1].splitlines()[0])
    allowed = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "tmp", "proc", "dev", "workspace",
               "mlcommons"} | {Path(sys.base_prefix).resolve().parts[1]}
    assert set(root) <= allowed, set(root) - allowed
    assert "home" not in root and "work" not in root and "var" not in root
    prefix = log.split("PREFIX ", 1)[1].splitlines()[0]
    assert prefix != sys.prefix and prefix.startswith(str(runner.settings.env_cache))  # the container's own env
    assert "SHADOW ''" in log or "SHADOW absent" in log
    assert "SSH []" in log or "SSH absent" in log


def test_memory_limit_stops_a_greedy_task(probe_config: Config, io_dirs: dict[str, Path], tmp_path: Path) -> None:
    runner = SandboxRunner(site_settings(tmp_path, "sandbox"))  # memory_limit_mb=1024
    spec = RunnerCase("sandbox", runner, runner.settings, None).spec(probe_config("alloc", "2048"))
    result = runner.run(spec, "infer", io_dirs, log_dir=tmp_path / "logs")
    assert result.exit_code != 0
    assert "MemoryError" in result.log_tail


def test_code_that_would_show_the_sites_data_root_is_refused(probe_config: Config, io_dirs: dict[str, Path],
                                                             tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(Path(__file__).parent / "probe_project", project)
    settings = site_settings(tmp_path, "sandbox").model_copy(update={"data_root": project / "site-data"})
    runner = SandboxRunner(settings)
    spec = ContainerSpec(name="probe", config=probe_config("noop"), image="x", source_dir=project)
    with pytest.raises(ConfigError, match=rf"^{project}: the sandbox would show it at /workspace, and it holds the "
                                          r"site's data root"):
        runner.run(spec, "infer", io_dirs, log_dir=tmp_path / "logs")
