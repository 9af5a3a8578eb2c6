"""Test harness of the chest X-ray example: run its container tasks directly or in docker, and the expected campaign.

A task runs "directly" as the container would run it, with the interpreter of these tests: the command of
container_config.yaml (or, without run_args, the Dockerfile's ENTRYPOINT followed by one `--<name> <path>`
option per mounted volume), `/project/...` mapped to the project folder and each mount path to a real path;
a volume the test does not give (an optional one, e.g. metadata_path) is left out with its option.
"""

import atexit
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import docker
import yaml
from docker.models.containers import Container

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "chest_xray"
CONTAINERS = EXAMPLE / "containers"
DATA = EXAMPLE / "data"
SITES = ("site-a", "site-b", "site-c", "demo")
CAMPAIGN_SITES = ("site-a", "site-b", "site-c")
MODELS = {"radial": "model-radial", "template": "model-template"}
CONTAINER_NAMES = ("prep", "model-radial", "model-template", "evaluator")
METRICS = ("auc", "accuracy", "sensitivity", "specificity")

sys.path.insert(0, str(EXAMPLE))
# The example's own modules, re-exported for the tests (importable once EXAMPLE is on sys.path).
import acquisition  # noqa: E402, F401
import generate as generator  # noqa: E402, F401
import phantom  # noqa: E402, F401


def load_config(container: str) -> dict[str, Any]:
    """The container's container_config.yaml."""
    config: dict[str, Any] = yaml.safe_load((CONTAINERS / container / "container_config.yaml").read_text())
    return config


def volumes_of(container: str, task: str) -> dict[str, dict[str, str]]:
    """Logical name -> {mount_path, type} of every input and output of the task."""
    spec = load_config(container)["tasks"][task]
    return {**(spec.get("input_volumes") or {}), **(spec.get("output_volumes") or {})}


def dockerfile_entrypoint(container: str) -> list[str]:
    """The exec-form ENTRYPOINT of the container's Dockerfile ([] when it has none)."""
    for line in (CONTAINERS / container / "Dockerfile").read_text().splitlines():
        match = re.match(r"\s*ENTRYPOINT\s+(\[.*\])\s*$", line)
        if match:
            words: list[str] = json.loads(match.group(1))
            return words
    return []


def with_defaults(container: str, task: str, mounts: Mapping[str, Path]) -> dict[str, Path]:
    """The mounts, with parameters_file / additional_files defaulting to the project's workspace files."""
    volumes = volumes_of(container, task)
    real = dict(mounts)
    real.setdefault("parameters_file", CONTAINERS / container / "workspace" / "parameters.yaml")
    if "additional_files" in volumes:
        real.setdefault("additional_files", CONTAINERS / container / "workspace" / "additional_files")
    return {name: path for name, path in real.items() if name in volumes}


def direct_command(container: str, task: str, mounts: Mapping[str, Path]) -> list[str]:
    """The command line that runs the task outside any container, with real paths."""
    folder = CONTAINERS / container
    spec = load_config(container)["tasks"][task]
    volumes = volumes_of(container, task)
    real = with_defaults(container, task, mounts)
    command = (spec.get("run_args") or {}).get("command")
    if command:
        tokens = shlex.split(command) if isinstance(command, str) else [str(t) for t in command]
    else:
        tokens = dockerfile_entrypoint(container)
        for name in real:
            tokens += [f"--{name}", volumes[name]["mount_path"]]
    by_mount = {volumes[name]["mount_path"]: str(path) for name, path in real.items()}
    not_given = {volumes[name]["mount_path"] for name in volumes if name not in real}
    assert tokens[0] == "python3", tokens
    result = [sys.executable]
    for token in tokens[1:]:
        if token in not_given and result[-1].startswith("--"):
            result.pop()  # a volume not given is left out together with its option
            continue
        if token.startswith("/project/"):
            token = str(folder / "project" / token.removeprefix("/project/"))
        result.append(by_mount.get(token, token))
    unmapped = [t for t in result if t.startswith("/mlcommons/")]
    assert not unmapped, f"no real path given for {unmapped}"
    return result


def run_direct(container: str, task: str, mounts: Mapping[str, Path]) -> subprocess.CompletedProcess[str]:
    """Run the task directly (a subprocess with this Python, outside any runner)."""
    return subprocess.run(
        direct_command(container, task, mounts), capture_output=True, text=True, timeout=600, check=False
    )


# --- docker --------------------------------------------------------------------------------------------


def load_containers_conftest() -> Any:
    """tests/containers/conftest.py as a plain module, for its docker_host / docker_client fixtures."""
    path = ROOT / "tests" / "containers" / "conftest.py"
    spec = importlib.util.spec_from_file_location("chest_xray_containers_conftest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_image(client: docker.DockerClient, container: str) -> str:
    """docker build of the project's own Dockerfile (network host: pip installs the pinned requirements)."""
    tag = load_config(container)["image"]
    image, _ = client.images.build(path=str(CONTAINERS / container), tag=tag, rm=True, network_mode="host")
    image_id: str = image.id
    return image_id


@dataclass(frozen=True)
class DockerRun:
    """Exit code and combined output of one task run in docker."""

    exit_code: int
    logs: str


def run_in_docker(
    client: docker.DockerClient, image: str, container: str, task: str, mounts: Mapping[str, Path]
) -> DockerRun:
    """Run the task in its image with the mounts of container_config.yaml: network none, inputs read-only,
    the calling uid:gid, the command of run_args (or the image's ENTRYPOINT when there is none)."""
    volumes = volumes_of(container, task)
    inputs = set(load_config(container)["tasks"][task].get("input_volumes") or {})
    binds: dict[str, dict[str, str]] = {}
    for name, path in with_defaults(container, task, mounts).items():
        volume = volumes[name]
        if name not in inputs:
            if volume["type"] == "file":
                path.parent.mkdir(parents=True, exist_ok=True)
                path.touch()
            else:
                path.mkdir(parents=True, exist_ok=True)
        binds[str(path.resolve())] = {"bind": volume["mount_path"], "mode": "ro" if name in inputs else "rw"}
    command = (load_config(container)["tasks"][task].get("run_args") or {}).get("command")
    run: Container = client.containers.create(
        image,
        command=shlex.split(command) if isinstance(command, str) else command,
        volumes=binds,
        network_mode="none",
        user=f"{os.getuid()}:{os.getgid()}",
        cap_drop=["ALL"],
    )
    try:
        run.start()
        exit_code = int(run.wait(timeout=600)["StatusCode"])
        logs = run.logs(stdout=True, stderr=True).decode("utf-8", "replace")
    finally:
        run.remove(force=True)
    return DockerRun(exit_code, logs)


# --- the prepared example and the expected campaign ----------------------------------------------------


@dataclass(frozen=True)
class PreparedSite:
    """Where one site's raw data is and where its prepared data, labels and metadata were written."""

    name: str
    raw_data: Path
    raw_labels: Path
    data: Path
    labels: Path
    metadata: Path
    report: Path


def scratch_folder(prefix: str) -> Path:
    """A temporary folder removed when the test process exits."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def raw_paths(site: str) -> tuple[Path, Path]:
    """The committed raw images and labels folders of a site."""
    return DATA / site / "images", DATA / site / "labels"


def prepare_mounts(raw_data: Path, raw_labels: Path, out: Path) -> dict[str, Path]:
    """The prepare task's mounts, outputs under out/."""
    return {
        "data_path": raw_data,
        "labels_path": raw_labels,
        "output_path": out / "data",
        "output_labels_path": out / "labels",
        "metadata_path": out / "metadata",
        "report_file": out / "report" / "report.yaml",
    }


def prepare_site(site: str, out: Path) -> PreparedSite:
    """Prepare a committed site directly into out/; it must succeed."""
    raw_data, raw_labels = raw_paths(site)
    mounts = prepare_mounts(raw_data, raw_labels, out)
    done = run_direct("prep", "prepare", mounts)
    assert done.returncode == 0, done.stderr
    return PreparedSite(
        site, raw_data, raw_labels, mounts["output_path"], mounts["output_labels_path"],
        mounts["metadata_path"], mounts["report_file"],
    )  # fmt: skip


@cache
def prepared_example() -> dict[str, PreparedSite]:
    """Every committed site (and the demo) prepared directly, once per test process."""
    root = scratch_folder("chest-xray-prepared-")
    return {site: prepare_site(site, root / site) for site in SITES}


def infer_direct(model: str, data: Path, out: Path) -> Path:
    """Run a model's infer task directly; returns the predictions folder."""
    done = run_direct(MODELS[model], "infer", {"data_path": data, "output_path": out})
    assert done.returncode == 0, done.stderr
    return out


def evaluate_direct(predictions: Path, labels: Path, out: Path) -> dict[str, Any]:
    """Run the evaluator directly; returns results.yaml."""
    results_file = out / "results.yaml"
    done = run_direct(
        "evaluator", "evaluate", {"predictions": predictions, "labels": labels, "output_path": results_file}
    )
    assert done.returncode == 0, done.stderr
    results: dict[str, Any] = yaml.safe_load(results_file.read_text())
    return results


@dataclass(frozen=True)
class SiteExpectation:
    """What a campaign must report for one site: its paths and, per model, the directly computed results."""

    site: PreparedSite
    predictions: dict[str, Path]
    results: dict[str, dict[str, Any]]


@cache
def expected_campaign() -> dict[str, SiteExpectation]:
    """For site-a, site-b and site-c: raw and prepared paths and each model's results.yaml, computed by
    running prepare, infer and evaluate directly. Compare a campaign's leaderboard to
    `expected_campaign()[site].results[model][metric]` (exact up to float rounding between numpy builds)."""
    sites = prepared_example()
    root = scratch_folder("chest-xray-expected-")
    expected: dict[str, SiteExpectation] = {}
    for name in CAMPAIGN_SITES:
        site = sites[name]
        predictions = {model: infer_direct(model, site.data, root / name / model / "predictions") for model in MODELS}
        results = {
            model: evaluate_direct(predictions[model], site.labels, root / name / model / "results") for model in MODELS
        }
        expected[name] = SiteExpectation(site, predictions, results)
    return expected


def manifest_of(data: Path, labels: Path) -> list[dict[str, Any]]:
    """A per-case manifest of a prepared folder as DESIGN.md describes it (one row per <case>.npy, joined with
    labels.yaml). The platform derives its own; this one lets the suite be checked without the platform."""
    import numpy as np

    label_of = yaml.safe_load((labels / "labels.yaml").read_text())
    rows: list[dict[str, Any]] = []
    for path in sorted(data.iterdir()):
        array = np.load(path)
        rows.append(
            {
                "case_id": path.stem, "n_files": 1, "size_bytes": path.stat().st_size, "file_type": "npy",
                "ndim": array.ndim, "shape_0": array.shape[0], "shape_1": array.shape[1] if array.ndim > 1 else None,
                "dtype": str(array.dtype), "intensity_min": float(array.min()), "intensity_max": float(array.max()),
                "intensity_mean": float(array.mean()), "intensity_std": float(array.std()),
                "label": label_of.get(path.stem),
            }
        )  # fmt: skip
    return rows
