"""Test harness of the breast-cancer example: paths, running container tasks as plain processes, prepared sites."""

import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "breast_cancer"
CONTAINERS = EXAMPLE / "containers"
DATA = EXAMPLE / "data"
SITES = ("site-a", "site-b", "site-c", "demo")

sys.path.insert(0, str(EXAMPLE))


@dataclass(frozen=True)
class PreparedSite:
    """Where one site's prepared data and labels were written."""

    name: str
    data: Path
    labels: Path


def run_task(container: str, task: str, mounts: Mapping[str, Path]) -> subprocess.CompletedProcess[str]:
    """Run a task exactly as container_config.yaml says, with mount paths swapped for real paths.

    /workspace becomes the container folder and the interpreter is this test's Python.
    parameters_file and additional_files default to the container's own files.
    """
    folder = CONTAINERS / container
    config = yaml.safe_load((folder / "container_config.yaml").read_text())
    spec = config["tasks"][task]
    volumes = {**spec.get("input_volumes", {}), **(spec.get("output_volumes") or {})}
    real = dict(mounts)
    real.setdefault("parameters_file", folder / "parameters.yaml")
    if "additional_files" in volumes:
        real.setdefault("additional_files", folder / "additional_files")
    by_mount = {volumes[name]["mount_path"]: str(path) for name, path in real.items() if name in volumes}
    tokens = shlex.split(spec["run_args"]["command"])
    assert tokens[0] == "python3"
    command = [sys.executable]
    for token in tokens[1:]:
        if token.startswith("/workspace/"):
            token = str(folder / token.removeprefix("/workspace/"))
        command.append(by_mount.get(token, token))
    unmapped = [t for t in command if t.startswith("/mlcommons/")]
    assert not unmapped, f"no real path given for {unmapped}"
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def raw_paths(site: str) -> dict[str, Path]:
    """The committed raw data and labels folders of a site."""
    return {"data_path": DATA / site / "data", "labels_path": DATA / site / "labels"}


def prepare_site(
    site_data: Path, site_labels: Path, out: Path
) -> tuple[subprocess.CompletedProcess[str], PreparedSite]:
    """Run prepare on raw folders into out/{data,labels,report.yaml}."""
    prepared = PreparedSite(out.name, out / "data", out / "labels")
    result = run_task(
        "prep",
        "prepare",
        {
            "data_path": site_data,
            "labels_path": site_labels,
            "output_path": prepared.data,
            "output_labels_path": prepared.labels,
            "report_file": out / "report" / "report.yaml",
        },
    )
    return result, prepared


def prepare_all_sites(root: Path) -> dict[str, PreparedSite]:
    """Prepare every committed site (and the demo) under root; each must succeed."""
    sites: dict[str, PreparedSite] = {}
    for site in SITES:
        paths = raw_paths(site)
        result, prepared = prepare_site(paths["data_path"], paths["labels_path"], root / site)
        assert result.returncode == 0, result.stderr
        sites[site] = prepared
    return sites
