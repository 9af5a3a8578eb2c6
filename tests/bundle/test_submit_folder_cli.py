"""`medperf benchmark submit-folder DIR` as a committee types it: two profiles, the store from MEDPERF_STORE_*."""

import json
from pathlib import Path

from typer.testing import CliRunner

import medperf.cli.bundle_commands  # noqa: F401  (adds `submit-folder` to the benchmark and container groups)
from medperf.cli.local_server import LocalRegistry
from medperf.cli.main import app
from medperf.profiles import Profile, ProfileStore

from .conftest import EXAMPLE, Committee


def test_submit_folder_registers_and_reuses(registry: LocalRegistry, committee: Committee, tmp_path: Path) -> None:
    home = tmp_path / "home"
    profiles = ProfileStore(home)
    profiles.put("committee", Profile(server_url=registry.url, token=committee.tokens["owner"]))
    profiles.put("modeller", Profile(server_url=registry.url, token=committee.tokens["modeller"]),
                 activate=False)
    env = {"MEDPERF_HOME": str(home), "MEDPERF_PROFILE": None, "MEDPERF_STORE_ROOT": str(tmp_path / "store"),
           "MEDPERF_STORE_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200"}
    command = ["benchmark", "submit-folder", str(EXAMPLE), "--model-owner-profile", "modeller", "--json"]

    first = CliRunner().invoke(app, command, env=env)
    assert first.exit_code == 0, first.output
    registered = json.loads(first.stdout)
    assert registered["benchmark"]["name"] == "breast-cancer-wdbc"
    assert set(registered["models"]) == {"logreg", "mlp", "gnb"} and len(registered["created"]) == 9
    assert any((tmp_path / "store").rglob("*")), "the archives went to the store named by MEDPERF_STORE_ROOT"

    again = CliRunner().invoke(app, command, env=env)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["created"] == []


def test_submit_folder_error_is_one_line(registry: LocalRegistry, committee: Committee, tmp_path: Path) -> None:
    home = tmp_path / "home"
    ProfileStore(home).put("committee", Profile(server_url=registry.url, token=committee.tokens["owner"]))
    result = CliRunner().invoke(app, ["benchmark", "submit-folder", str(tmp_path / "nowhere")],
                                env={"MEDPERF_HOME": str(home), "MEDPERF_PROFILE": None})
    assert result.exit_code == 1
    assert "no benchmark/benchmark.yaml or benchmark.yaml found" in result.output
    assert "Traceback" not in result.output


def test_an_evaluator_whose_demo_results_break_the_declared_task_registers_nothing(
    registry: LocalRegistry, committee: Committee, tmp_path: Path
) -> None:
    """submit-folder runs the pipeline on the demo data first: a declared metric the evaluator does not write
    is one line naming it, and neither a container nor the benchmark is registered."""
    import shutil

    folder = tmp_path / "bench"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("site-*", "public"))
    declaration = folder / "benchmark" / "benchmark.yaml"
    text = declaration.read_text()
    marker = "    - {name: auc, direction: higher"
    assert marker in text
    text = text.replace(marker, "    - {name: brier, direction: lower, range: [0, 1]}\n" + marker, 1)
    declaration.write_text(text.replace("  allowed_metric_keys:\n", "  allowed_metric_keys:\n    - brier\n", 1))
    home = tmp_path / "home"
    ProfileStore(home).put("committee", Profile(server_url=registry.url, token=committee.tokens["owner"]))
    env = {"MEDPERF_HOME": str(home), "MEDPERF_PROFILE": None, "MEDPERF_STORE_ROOT": str(tmp_path / "store"),
           "MEDPERF_STORE_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "300"}

    result = CliRunner().invoke(app, ["benchmark", "submit-folder", str(folder)], env=env)

    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "task.metrics.brier" in lines[0] and "fix the evaluator" in lines[0], result.output
    me = committee.owner.users.me()
    assert committee.owner.containers.list(owner_id=me.id).items == []
    assert committee.owner.benchmarks.list(owner_id=me.id).items == []
