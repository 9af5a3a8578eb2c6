"""The container's own Python environment: built from its requirements.txt, cached by content, never the site's."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from medperf.containers import ContainerSpec, parse_container_config, run_checked
from medperf.containers.python_env import (
    ensure_python_env,
    env_key,
    last_message,
    read_requirements,
    site_interpreter,
)
from medperf.containers.sandbox_runner import SandboxRunner
from medperf.errors import ConfigError

from .conftest import site_settings

EVALUATOR = '''"""Accuracy with scikit-learn, and the scikit-learn version it ran with."""
import sys

import sklearn
import yaml
from sklearn.metrics import accuracy_score

truth, predicted = [1, 0, 1, 1], [1, 0, 0, 1]
with open(sys.argv[1], "w") as handle:
    yaml.safe_dump({"accuracy": float(accuracy_score(truth, predicted)), "sklearn": sklearn.__version__}, handle)
'''


def test_a_sandboxed_evaluator_pinned_to_an_older_scikit_learn_runs_with_it(tmp_path: Path) -> None:
    import sklearn

    assert sklearn.__version__ != "1.2.2"  # the site has a newer scikit-learn
    project = tmp_path / "evaluator"
    project.mkdir()
    (project / "evaluate.py").write_text(EVALUATOR)
    (project / "requirements.txt").write_text("scikit-learn==1.2.2\nnumpy<2\nPyYAML==6.0.2\n")
    (project / "Dockerfile").write_text(
        "FROM medperf/base:bookworm\nCOPY . /workspace\nWORKDIR /workspace\nRUN pip install -r requirements.txt\n"
    )
    config = parse_container_config({"tasks": {"evaluate": {
        "run_args": {"command": "python3 evaluate.py /mlcommons/volumes/results/results.yaml"},
        "output_volumes": {"output_path": {"mount_path": "/mlcommons/volumes/results/results.yaml", "type": "file"}},
    }}})  # fmt: skip
    settings = site_settings(tmp_path, "sandbox").model_copy(update={"task_timeout_seconds": 600})
    spec = ContainerSpec(name="old-sklearn", config=config, image="medperf/old-sklearn:1", source_dir=project)
    results = tmp_path / "results.yaml"

    run_checked(SandboxRunner(settings), spec, "evaluate", {"output_path": results}, log_dir=tmp_path / "logs")

    assert yaml.safe_load(results.read_text()) == {"accuracy": 0.75, "sklearn": "1.2.2"}


def test_requirements_are_normalised_so_equal_sets_share_an_environment(tmp_path: Path) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("# pinned\nnumpy==1.26.4\n\nPyYAML==6.0.2  # yaml\n")
    second.write_text("PyYAML==6.0.2\nnumpy==1.26.4 \\\n")
    assert read_requirements(first) == read_requirements(second) == ["PyYAML==6.0.2", "numpy==1.26.4"]
    interpreter = site_interpreter()
    assert env_key(read_requirements(first), interpreter) == env_key(read_requirements(second), interpreter)
    assert env_key(["numpy==1.26.3"], interpreter) != env_key(["numpy==1.26.4"], interpreter)


@pytest.mark.parametrize(
    "line", ["-r other.txt", "--index-url https://example.org/simple", "-e .", "./local-package", "numpy --pre"]
)
def test_lines_that_choose_the_index_or_other_files_are_refused(tmp_path: Path, line: str) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(f"PyYAML==6.0.2\n{line}\n")
    with pytest.raises(ConfigError, match=rf"^{path}: line 2: '.*' is not supported"):
        read_requirements(path)


def test_a_failed_build_is_one_line_naming_the_requirements_file(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("PyYAML==0.0.0.1\n")  # a version that was never released
    with pytest.raises(ConfigError) as caught:
        ensure_python_env(path, tmp_path / "envs")
    message = str(caught.value)
    assert message.startswith(f"{path}: cannot build the container's Python environment: ")
    assert "pyyaml" in message.lower() and "\n" not in message
    assert [p.name for p in (tmp_path / "envs").iterdir() if not p.name.startswith(".")] == []  # nothing half-built


def test_without_requirements_the_environment_is_bare(tmp_path: Path) -> None:
    env = ensure_python_env(None, tmp_path / "envs")
    python = env.bin_dir / "python"
    assert subprocess.run([python, "-c", "import json, sqlite3"], check=False, cwd=tmp_path).returncode == 0
    for package in ("numpy", "yaml", "medperf"):  # the site's own packages are not there
        probe = subprocess.run([python, "-c", f"import {package}"], capture_output=True, check=False, cwd=tmp_path)
        assert probe.returncode != 0, package


def test_two_sites_building_the_same_environment_at_once_get_one(tmp_path: Path) -> None:
    cache = tmp_path / "envs"
    script = ("import sys; from pathlib import Path; from medperf.containers.python_env import ensure_python_env; "
              "print(ensure_python_env(None, Path(sys.argv[1])).root)")
    builders = [subprocess.Popen([sys.executable, "-c", script, str(cache)], stdout=subprocess.PIPE, text=True)
                for _ in range(3)]
    roots = {builder.communicate(timeout=300)[0].strip() for builder in builders}
    assert all(builder.returncode == 0 for builder in builders)
    assert len(roots) == 1
    assert [p.name for p in cache.iterdir() if not p.name.startswith(".")] == [Path(roots.pop()).name]


def test_uvs_message_wrapped_over_lines_is_told_as_one_line() -> None:
    wrapped = (
        "Using Python 3.11.7 environment at: env\n"
        "error: No solution found when resolving dependencies\n"
        "  cause: Because there is no version of pyyaml==0.0.0.1 and\n"
        "         you require pyyaml==0.0.0.1, we can conclude that\n"
        "         your requirements are unsatisfiable.\n"
    )
    assert last_message(wrapped) == (
        "cause: Because there is no version of pyyaml==0.0.0.1 and you require pyyaml==0.0.0.1, "
        "we can conclude that your requirements are unsatisfiable."
    )
    assert last_message("resolving\nerror: one line\n") == "error: one line"
