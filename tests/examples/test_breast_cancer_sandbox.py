"""The benchmark's containers run under the project's sandbox runner, mounts and all, on the demo data."""

from pathlib import Path

import yaml
from breast_cancer_harness import CONTAINERS, DATA

from medperf.containers.config import load_container_config
from medperf.containers.sandbox_runner import SandboxRunner
from medperf.containers.spec import ContainerSpec
from medperf.settings import SiteSettings


def spec_of(container: str) -> ContainerSpec:
    folder = CONTAINERS / container
    extra = folder / "additional_files"
    return ContainerSpec(
        name=container,
        config=load_container_config(folder / "container_config.yaml"),
        image=f"medperf/breast-cancer-{container}:test",
        source_dir=folder,
        parameters_file=folder / "parameters.yaml",
        additional_files_dir=extra if extra.is_dir() else None,
    )


def test_demo_runs_through_the_sandbox_runner(tmp_path: Path) -> None:
    runner = SandboxRunner(SiteSettings(allow_unisolated=True, task_timeout_seconds=300, data_root=tmp_path))
    logs = tmp_path / "logs"
    logs.mkdir()
    work = tmp_path / "work"
    steps: list[tuple[str, str, dict[str, Path]]] = [
        ("prep", "prepare", {
            "data_path": DATA / "demo" / "data", "labels_path": DATA / "demo" / "labels",
            "output_path": work / "data", "output_labels_path": work / "labels",
            "report_file": work / "report.yaml",
        }),
        ("prep", "sanity_check", {"data_path": work / "data", "labels_path": work / "labels"}),
        ("prep", "statistics", {
            "data_path": work / "data", "labels_path": work / "labels", "output_path": work / "statistics.yaml",
        }),
        ("model-logreg", "infer", {"data_path": work / "data", "output_path": work / "predictions"}),
        ("evaluator", "evaluate", {
            "predictions": work / "predictions", "labels": work / "labels", "output_path": work / "results.yaml",
        }),
    ]  # fmt: skip
    for container, task, mounts in steps:
        result = runner.run(spec_of(container), task, mounts, log_dir=logs)
        assert result.ok, f"{container} {task}: {result.log_tail}"
    assert yaml.safe_load((work / "report.yaml").read_text())["num_cases"] == 30
    assert yaml.safe_load((work / "statistics.yaml").read_text())["num_cases"] == 30
    results = yaml.safe_load((work / "results.yaml").read_text())
    assert results["num_cases"] == 30 and results["auc"] > 0.8


def test_a_corrupted_file_fails_prepare_with_its_one_line_in_the_log(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    lines = (DATA / "demo" / "data" / "cases.csv").read_text().splitlines()
    lines[2] = lines[2].replace(lines[2].split(",")[3], "n/a", 1)
    (raw / "cases.csv").write_text("\n".join(lines) + "\n")
    runner = SandboxRunner(SiteSettings(allow_unisolated=True, task_timeout_seconds=300, data_root=tmp_path))
    (tmp_path / "logs").mkdir()
    mounts = {
        "data_path": raw, "labels_path": DATA / "demo" / "labels", "output_path": tmp_path / "out" / "data",
        "output_labels_path": tmp_path / "out" / "labels", "report_file": tmp_path / "out" / "report.yaml",
    }  # fmt: skip
    result = runner.run(spec_of("prep"), "prepare", mounts, log_dir=tmp_path / "logs")
    assert not result.ok
    assert "ERROR: data_path/cases.csv: row 3, column 'mean perimeter': 'n/a' is not a number" in result.log_tail
    assert list((tmp_path / "out" / "data").iterdir()) == []
