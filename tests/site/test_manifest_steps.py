"""The prepare_dataset steps check and count the manifest (or the preparator's table); only counts come back."""

import json
import stat
from pathlib import Path

import numpy as np
import pytest
from support.example_containers import EXAMPLES, example_container, sandbox_runner
from support.fake_runners import FakeRunner, RunCall

from medperf.containers.config import parse_container_config
from medperf.containers.spec import ContainerSpec, TaskResult
from medperf.errors import SanityCheckFailed
from medperf.site.container_steps import StepContext
from medperf.site.dataset_steps import PreparedDataset, case_count, prepare, sanity_check, statistics

SUITE = {
    "name": "arrays",
    "target": "manifest",
    "expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "shape_0", "value_set": [8]}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "label"}},
    ],
}


class PassingRunner(FakeRunner):
    """A container whose own checks pass; its statistics task writes one container statistic."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, set[str]]] = []

    def answer(self, call: RunCall) -> TaskResult:
        self.calls.append((call.task, set(call.mounts)))
        if call.task == "statistics":
            call.mounts["output_path"].write_text("mean_intensity: 0.5\n")
        return TaskResult(call.task, 0, call.log_dir / f"{call.task}.log", "", 0.1, False)


def context(tmp_path: Path, runner: PassingRunner) -> StepContext:
    volumes = {name: {"mount_path": f"/{name}", "type": "directory"} for name in ("data_path", "metadata_path")}
    tasks = {task: {"input_volumes": volumes} for task in ("sanity_check", "statistics")}
    spec = ContainerSpec(name="prep", config=parse_container_config({"tasks": tasks}), image="x")
    return StepContext(runner, spec, tmp_path / "work", timeout_s=None)


def prepared_arrays(root: Path, labels: dict[str, object], bad_shape: str | None = None) -> PreparedDataset:
    data, label_dir, metadata = root / "data", root / "labels", root / "metadata"
    for folder in (data, label_dir, metadata):
        folder.mkdir(parents=True)
    for case_id in [f"secret-case-{index:02d}" for index in range(10)]:
        np.save(data / f"{case_id}.npy", np.zeros((4 if case_id == bad_shape else 8, 8), dtype=np.float32))
    (label_dir / "labels.json").write_text(json.dumps(labels))
    return PreparedDataset(data, label_dir, metadata, prepared_hash="h")


def test_a_failing_manifest_suite_names_counts_and_keeps_case_ids_in_the_site_report(tmp_path: Path) -> None:
    labels = {f"secret-case-{index:02d}": index % 2 for index in range(9)}  # case 09 unlabelled
    prepared = prepared_arrays(tmp_path, {**labels, "stray-case": 1}, bad_shape="secret-case-03")
    report = tmp_path / "run" / "sanity_report.json"
    with pytest.raises(SanityCheckFailed) as err:
        sanity_check(context(tmp_path, PassingRunner()), prepared, SUITE, report)
    message = str(err.value)
    assert "expect_column_values_to_be_in_set(shape_0): 1 cases" in message
    assert "expect_column_values_to_not_be_null(label): 1 cases" in message
    assert "secret-case" not in message and "stray" not in message
    site_report = json.loads(report.read_text())
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert (site_report["table"], site_report["cases"], site_report["labels_unmatched"]) == ("manifest", 10, 1)
    samples = {item["column"]: item["sample_case_ids"] for item in site_report["failures"]}
    assert samples == {"shape_0": ["secret-case-03"], "label": ["secret-case-09"]}


def test_passing_checks_return_counts_only_and_statistics_count_the_manifest(tmp_path: Path) -> None:
    prepared = prepared_arrays(tmp_path, {f"secret-case-{index:02d}": index % 2 for index in range(10)})
    runner = PassingRunner()
    report = tmp_path / "run" / "sanity_report.json"
    counts = sanity_check(context(tmp_path, runner), prepared, SUITE, report)
    assert counts == {"container_check_passed": 1, "expectations_evaluated": 2, "expectations_failed": 0}
    assert json.loads(report.read_text())["labels_matched"] == 10
    stats = statistics(context(tmp_path, runner), prepared, counts, SUITE)
    assert stats == {
        "mean_intensity": 0.5,
        "num_cases": 10,
        "label_counts": {"0": 5, "1": 5},
        "sanity": counts,
    }
    assert "secret-case" not in json.dumps([counts, stats])
    assert [task for task, _ in runner.calls] == ["sanity_check", "statistics"]
    assert all("metadata_path" in mounts for _, mounts in runner.calls), "prepared metadata reaches both tasks"
    assert case_count(prepared, SUITE) == 10


def test_continuous_labels_give_no_label_counts(tmp_path: Path) -> None:
    prepared = prepared_arrays(tmp_path, {f"secret-case-{index:02d}": index / 7 for index in range(10)})
    stats = statistics(context(tmp_path, PassingRunner()), prepared, {}, None)
    assert stats["num_cases"] == 10 and "label_counts" not in stats


def test_the_legacy_layout_is_still_the_default_table(tmp_path: Path) -> None:
    data, labels, metadata = tmp_path / "data", tmp_path / "labels", tmp_path / "metadata"
    for folder in (data, labels, metadata):
        folder.mkdir()
    (data / "cases.csv").write_text("case_id,size\n" + "".join(f"c{i},{i}\n" for i in range(6)))
    (labels / "labels.csv").write_text("case_id,label\n" + "".join(f"c{i},{i % 2}\n" for i in range(6)))
    prepared = PreparedDataset(data, labels, metadata, prepared_hash="h")
    suite = {"expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "size"}}]}
    counts = sanity_check(context(tmp_path, PassingRunner()), prepared, suite, tmp_path / "report.json")
    stats = statistics(context(tmp_path, PassingRunner()), prepared, counts, suite)
    assert (stats["num_cases"], stats["label_counts"]) == (6, {"0": 3, "1": 3})
    assert case_count(prepared, suite) == 6
    assert case_count(prepared, {"target": "manifest"}) == 1


def test_the_breast_cancer_example_prepares_checks_and_counts_unchanged(tmp_path: Path) -> None:
    example = EXAMPLES / "breast_cancer"
    spec = example_container("breast_cancer", "prep", image="medperf/breast-cancer-prep:test")
    runner = sandbox_runner(tmp_path)
    suite = json.loads((example / "benchmark" / "sanity_suite.json").read_text())
    demo = example / "data" / "demo"
    step = StepContext(runner, spec, tmp_path / "prepare", timeout_s=300)
    prepared = prepare(step, demo / "data", demo / "labels")
    counts = sanity_check(step, prepared, suite, tmp_path / "report.json")
    assert counts["expectations_failed"] == 0 and counts["expectations_evaluated"] == len(suite["expectations"])
    assert json.loads((tmp_path / "report.json").read_text())["table"] == "case_table"
    stats = statistics(StepContext(runner, spec, tmp_path / "stats", timeout_s=300), prepared, counts, suite)
    assert stats["num_cases"] == 30 == case_count(prepared, suite)
    assert sorted(stats["label_counts"]) == ["0", "1"] and sum(stats["label_counts"].values()) == 30
