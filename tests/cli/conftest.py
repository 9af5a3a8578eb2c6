"""A real registry for the CLI tests and a `medperf` runner with its own MEDPERF_HOME per test."""

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medperf.cli.local_server import LocalRegistry

from .medperf_runner import MedPerfCli


@pytest.fixture
def medperf(tmp_path: Path) -> MedPerfCli:
    """The CLI with an empty MEDPERF_HOME."""
    return MedPerfCli(home=tmp_path / "medperf-home", runner=CliRunner())


@pytest.fixture
def admin_profile(medperf: MedPerfCli, registry: LocalRegistry) -> str:
    """`medperf server create-admin --save-profile admin`, as on the server machine; returns 'admin'."""
    medperf.ok(
        "server", "create-admin", "--email", "admin@example.org", "--name", "Admin",
        "--database-url", registry.settings.database_url,
        "--save-profile", "admin", "--server-url", registry.url,
    )  # fmt: skip
    return "admin"


CONTAINER_CONFIG = """\
tasks:
  {task}:
    run_args:
      command: python3 /workspace/{task}.py
    input_volumes:
      {input}: {{mount_path: /mlcommons/volumes/in, type: directory}}
    output_volumes:
      output_path: {{mount_path: /mlcommons/volumes/out, type: directory}}
"""


@pytest.fixture
def container_config(tmp_path: Path) -> Callable[[str], Path]:
    """Write a one-task container_config.yaml (prepare, infer or evaluate) and return its path."""

    def write(task: str) -> Path:
        path = tmp_path / f"{task}_container_config.yaml"
        first_input = "predictions" if task == "evaluate" else "data_path"
        path.write_text(CONTAINER_CONFIG.format(task=task, input=first_input))
        return path

    return write
