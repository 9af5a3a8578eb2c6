"""Subgroup metrics: the evaluator runs per declared subgroup on that subgroup's cases; small subgroups are null."""

import csv
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from support.example_containers import example_container, sandbox_runner
from support.fake_runners import FakeRunner, RunCall

from medperf.containers.config import parse_container_config
from medperf.containers.spec import ContainerSpec, TaskResult
from medperf.errors import ConfigError, PolicyViolation
from medperf.release_policy import check_metrics
from medperf.schemas import ReleasePolicy
from medperf.schemas.task import MetricSpec, TaskDeclaration, TaskKind
from medperf.site.case_table import PerCaseTable, build_case_table
from medperf.site.container_steps import StepContext
from medperf.site.evaluation_steps import evaluate_subgroups, evaluate_with_subgroups
from medperf.site.subgroups import split_folder, subgroup_rows

K = 5
POLICY = ReleasePolicy(min_cell_count=K, allowed_metric_keys=["accuracy", "num_cases"])
TASK = TaskDeclaration(
    kind=TaskKind.BINARY,
    metrics=[MetricSpec(name="accuracy", direction="higher", range=(0, 1))],
    primary_metric="accuracy",
    subgroups=["sex", "age_band"],
)


def read_cases(folder: Path) -> dict[str, float]:
    """Either layout of the tiny evaluator: a CSV case_id,value or per-case .json / a YAML mapping."""
    if (folder / "predictions.csv").is_file() or (folder / "labels.csv").is_file():
        name = "predictions.csv" if (folder / "predictions.csv").is_file() else "labels.csv"
        with (folder / name).open(newline="") as handle:
            return {row[0]: float(row[1]) for row in list(csv.reader(handle))[1:]}
    if (folder / "labels.yaml").is_file():
        return {str(key): float(value) for key, value in yaml.safe_load((folder / "labels.yaml").read_text()).items()}
    return {path.stem: json.loads(path.read_text())["p"] for path in folder.glob("*.json")}


class TinyEvaluator(FakeRunner):
    """An evaluator container in plain python: accuracy at 0.5 and num_cases, on what is mounted."""

    def __init__(self) -> None:
        self.case_counts: list[int] = []

    def answer(self, call: RunCall) -> TaskResult:
        mounts = call.mounts
        predictions, labels = read_cases(mounts["predictions"]), read_cases(mounts["labels"])
        assert set(predictions) == set(labels), "the evaluator got predictions and labels of different cases"
        hits = [(predictions[case] >= 0.5) == (labels[case] == 1) for case in labels]
        self.case_counts.append(len(labels))
        mounts["output_path"].write_text(yaml.safe_dump({"accuracy": float(np.mean(hits)), "num_cases": len(hits)}))
        return TaskResult(call.task, 0, call.log_dir / "evaluate.log", "", 0.1, False)


def site(root: Path, sizes: Mapping[str, int], seed: int = 0) -> tuple[Path, Path, PerCaseTable, pd.DataFrame]:
    """Prepared cases.csv (sex, age_band), labels.csv and predictions.csv; the truth as one frame."""
    rng = np.random.default_rng(seed)
    sexes = [sex for sex, count in sizes.items() for _ in range(count)]
    n = len(sexes)
    frame = pd.DataFrame(
        {
            "case_id": [f"secret-{i:03d}" for i in range(n)],
            "sex": sexes,
            "age_band": [["40-59", "60-79"][i % 2] for i in range(n)],
            "label": rng.integers(0, 2, n),
            "probability": rng.random(n).round(3),
        }
    )
    data, labels, predictions = root / "data", root / "labels", root / "predictions"
    for folder in (data, labels, predictions):
        folder.mkdir(parents=True)
    frame[["case_id", "sex", "age_band"]].to_csv(data / "cases.csv", index=False)
    frame[["case_id", "label"]].to_csv(labels / "labels.csv", index=False)
    frame[["case_id", "probability"]].to_csv(predictions / "predictions.csv", index=False)
    return predictions, labels, build_case_table(data, labels), frame


def context(root: Path, runner: TinyEvaluator) -> StepContext:
    spec = ContainerSpec(name="evaluator", config=parse_container_config({"tasks": {"evaluate": {}}}), image="x")
    return StepContext(runner, spec, root / "work", timeout_s=None)


def accuracy(frame: pd.DataFrame) -> float:
    return float(np.mean((frame["probability"] >= 0.5) == (frame["label"] == 1)))


def test_each_subgroup_gets_its_own_metrics_and_small_ones_are_null_before_release(tmp_path: Path) -> None:
    predictions, labels, table, frame = site(tmp_path, {"F": 14, "M": 9, "X": 3})
    runner = TinyEvaluator()
    metrics = evaluate_with_subgroups(context(tmp_path, runner), predictions, labels, table, TASK, K)
    groups = metrics["subgroups"]
    assert metrics["accuracy"] == pytest.approx(accuracy(frame)) and metrics["num_cases"] == 26
    assert groups["sex=F"] == {"accuracy": pytest.approx(accuracy(frame[frame.sex == "F"])), "num_cases": 14}
    assert groups["sex=X"] is None, "3 cases < k"
    assert groups["sex=M"] is None, "the only other small-enough complement would reveal X: M is hidden too"
    for band in ("40-59", "60-79"):
        subset = frame[frame.age_band == band]
        assert groups[f"age_band={band}"] == {"accuracy": pytest.approx(accuracy(subset)), "num_cases": len(subset)}
    assert sorted(runner.case_counts) == [13, 13, 14, 26], "the evaluator never ran on a suppressed subgroup"
    check_metrics(metrics, POLICY, num_cases=26, case_ids=frame["case_id"].tolist(), task=TASK)
    assert "secret" not in json.dumps(metrics)
    rows = {row["subgroup"]: row for row in subgroup_rows(metrics, TASK)}
    assert rows["sex=X"]["status"] == "suppressed (< k)" and rows["sex=X"]["accuracy"] == ""
    assert (rows["sex=F"]["cases"], rows["sex=F"]["status"]) == ("14", "released")


def test_the_policy_allows_subgroups_only_when_declared_and_never_a_small_one() -> None:
    metrics = {"accuracy": 0.8, "num_cases": 30, "subgroups": {"sex=F": {"accuracy": 0.9, "num_cases": 20}}}
    undeclared = TASK.model_copy(update={"subgroups": []})
    with pytest.raises(PolicyViolation, match="subgroups"):
        check_metrics(metrics, POLICY, num_cases=30, task=undeclared)
    small = {**metrics, "subgroups": {"sex=F": {"accuracy": 1.0, "num_cases": 3}}}
    with pytest.raises(PolicyViolation, match="fewer than k=5"):
        check_metrics(small, POLICY, num_cases=30, task=TASK)
    stray = {**metrics, "subgroups": {"sex=F": {"accuracy": 0.9, "num_cases": 20, "per_case": [1, 0]}}}
    with pytest.raises(PolicyViolation, match="does not declare"):
        check_metrics(stray, POLICY, num_cases=30, task=TASK)
    check_metrics({**metrics, "subgroups": {"sex=F": None}}, POLICY, num_cases=30, task=TASK)


def test_per_case_files_and_yaml_mappings_are_split_by_case(tmp_path: Path) -> None:
    predictions, labels = tmp_path / "predictions", tmp_path / "labels"
    predictions.mkdir()
    labels.mkdir()
    ids = [f"c{i}" for i in range(6)]
    for i, case in enumerate(ids):
        (predictions / f"{case}.json").write_text(json.dumps({"p": i / 6}))
    (predictions / "model_card.txt").write_text("shared by every case\n")
    (labels / "labels.yaml").write_text(yaml.safe_dump({case: i % 2 for i, case in enumerate(ids)}))
    keep = frozenset({"c1", "c4"})
    assert split_folder(predictions, tmp_path / "out" / "p", keep, frozenset(ids))
    assert split_folder(labels, tmp_path / "out" / "l", keep, frozenset(ids))
    assert sorted(path.name for path in (tmp_path / "out" / "p").iterdir()) == ["c1.json", "c4.json", "model_card.txt"]
    assert yaml.safe_load((tmp_path / "out" / "l" / "labels.yaml").read_text()) == {"c1": 1, "c4": 0}


def test_a_folder_that_cannot_be_split_by_case_is_one_line_naming_the_field(tmp_path: Path) -> None:
    predictions, labels, table, _ = site(tmp_path, {"F": 10, "M": 10})
    (predictions / "predictions.csv").unlink()
    np.save(predictions / "all_scores.npy", np.zeros(20))
    with pytest.raises(ConfigError, match=r"task.subgroups: the predictions folder .* cannot be run") as err:
        evaluate_subgroups(context(tmp_path, TinyEvaluator()), predictions, labels, table, TASK, K)
    assert "\n" not in str(err.value)


def test_an_undeclared_or_continuous_subgroup_column_is_refused(tmp_path: Path) -> None:
    predictions, labels, table, _ = site(tmp_path, {"F": 10, "M": 10})
    ctx = context(tmp_path, TinyEvaluator())
    with pytest.raises(ConfigError, match="'scanner' is not a column"):
        evaluate_subgroups(ctx, predictions, labels, table, TASK.model_copy(update={"subgroups": ["scanner"]}), K)
    ages = PerCaseTable(table.table.assign(age=np.linspace(30.5, 80.5, 20)), table.source, "case_id", "label")
    with pytest.raises(ConfigError, match="non-categorical"):
        evaluate_subgroups(ctx, predictions, labels, ages, TASK.model_copy(update={"subgroups": ["age"]}), K)
    assert evaluate_subgroups(ctx, predictions, labels, table, None, K) is None


def test_the_breast_cancer_evaluator_per_subgroup_matches_scikit_learn_on_each_subset(tmp_path: Path) -> None:
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import roc_auc_score

    data = load_breast_cancer(as_frame=True).frame.iloc[:80]
    frame = pd.DataFrame(
        {
            "case_id": [f"wdbc-{i}" for i in range(len(data))],
            "size_band": np.where(data["mean smoothness"] > data["mean smoothness"].median(), "large", "small"),
            "label": data["target"].to_numpy(),
            "probability": (1 / (1 + np.exp(data["mean texture"] - data["mean texture"].mean()))).round(6),
        }
    )
    prepared, labels, predictions = tmp_path / "data", tmp_path / "labels", tmp_path / "predictions"
    for folder in (prepared, labels, predictions):
        folder.mkdir()
    frame[["case_id", "size_band"]].to_csv(prepared / "cases.csv", index=False)
    frame[["case_id", "label"]].to_csv(labels / "labels.csv", index=False)
    frame[["case_id", "probability"]].to_csv(predictions / "predictions.csv", index=False)
    spec = example_container("breast_cancer", "evaluator", image="medperf/breast-cancer-evaluator:test")
    runner = sandbox_runner(tmp_path)
    task = TaskDeclaration(
        kind=TaskKind.BINARY,
        metrics=[MetricSpec(name="auc", direction="higher", ci=("auc_ci_low", "auc_ci_high"))],
        primary_metric="auc",
        subgroups=["size_band"],
    )
    ctx = StepContext(runner, spec, tmp_path / "work", timeout_s=300)
    metrics = evaluate_with_subgroups(ctx, predictions, labels, build_case_table(prepared, labels), task, K)
    for band in ("large", "small"):
        subset = frame[frame.size_band == band]
        released = metrics["subgroups"][f"size_band={band}"]
        assert released["num_cases"] == len(subset)
        assert set(released) == {"auc", "auc_ci_low", "auc_ci_high", "num_cases"}, "undeclared metrics are dropped"
        assert released["auc"] == pytest.approx(roc_auc_score(subset["label"], subset["probability"]), abs=1e-12)
    assert metrics["auc"] == pytest.approx(roc_auc_score(frame["label"], frame["probability"]), abs=1e-12)
