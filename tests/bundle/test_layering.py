"""The library reads benchmark folders without its CLI: medperf/bundle never imports medperf/cli."""

import ast
from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parents[2] / "medperf"
LIBRARY_MODULES = [
    *sorted((LIBRARY / "bundle").glob("*.py")),
    LIBRARY / "safe_yaml.py",
    LIBRARY / "input_files.py",
    LIBRARY / "release_policy.py",
    LIBRARY / "hashing.py",
    LIBRARY / "containers" / "tarball.py",
]


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", LIBRARY_MODULES, ids=lambda path: path.relative_to(LIBRARY).as_posix())
def test_library_module_does_not_import_the_cli_or_prefect(path: Path) -> None:
    apps = ("medperf.cli", "prefect", "flows", "tasks", "deployments")
    bad = sorted(name for name in imported(path) if any(name == app or name.startswith(f"{app}.") for app in apps))
    assert bad == [], f"{path.name} imports {bad}"


def test_release_policy_needs_neither_pandas_nor_the_site() -> None:
    names = imported(LIBRARY / "release_policy.py")
    assert not any(name.startswith(("pandas", "medperf.site", "medperf.server")) for name in names)
