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
