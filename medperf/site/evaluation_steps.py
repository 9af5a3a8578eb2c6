"""The evaluate_model steps as plain functions: infer (no labels) and evaluate."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from medperf.errors import ConfigError
from medperf.hashing import sha256_folder
from medperf.release_policy import SUBGROUPS_KEY
from medperf.safe_yaml import load_yaml_file
from medperf.schemas.task import TaskDeclaration
from medperf.site import container_steps
from medperf.site.case_table import PerCaseTable
from medperf.site.container_steps import StepContext
from medperf.site.dataset_steps import PreparedDataset
from medperf.site.subgroups import SubgroupOutcome, subgroup_metrics


@dataclass(frozen=True)
class Predictions:
    """A model's predictions on the site and their hash."""

    path: Path
    sha256: str


def infer(ctx: StepContext, prepared_data: Path) -> Predictions:
    """Run the model container on the prepared data (the labels are never mounted)."""
    path = container_steps.infer(ctx, prepared_data)
    return Predictions(path, sha256_folder(path))


def is_intact(predictions: Predictions) -> bool:
    """Whether the predictions folder still holds what the model wrote."""
    return predictions.path.is_dir() and sha256_folder(predictions.path) == predictions.sha256


def read_metrics(path: Path) -> dict[str, Any]:
    """The evaluator's results.yaml: a mapping metric -> value."""
    try:
        data = load_yaml_file(path, "results file", follow_symlinks=False) if path.is_file() else None
    except yaml.YAMLError:
        raise ConfigError(f"{path}: is not valid YAML; fix the evaluator") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the evaluator must write a mapping metric -> value")
    return {str(key): value for key, value in data.items()}


def evaluate(ctx: StepContext, predictions: Path, labels: Path) -> dict[str, Any]:
    """Run the evaluator on predictions and labels; returns the metrics."""
    return read_metrics(container_steps.evaluate(ctx, predictions, labels))


@dataclass(frozen=True)
class SubgroupInputs:
    """What the evaluate step needs to run the evaluator per subgroup: the dataset, its suite, task and k."""

    prepared: PreparedDataset
    suite: dict[str, Any] | None
    task: TaskDeclaration
    k: int


def evaluate_subgroups(
    ctx: StepContext, predictions: Path, labels: Path, table: PerCaseTable, task: TaskDeclaration | None, k: int
) -> SubgroupOutcome | None:
    """The evaluator once per declared subgroup (medperf/site/subgroups.py); None when none are declared."""
    if task is None or not task.subgroups:
        return None
    return subgroup_metrics(ctx, predictions, labels, table, task, k, evaluate)


def evaluate_with_subgroups(
    ctx: StepContext, predictions: Path, labels: Path, table: PerCaseTable, task: TaskDeclaration | None, k: int
) -> dict[str, Any]:
    """evaluate, plus the per-subgroup metrics under `subgroups` (small subgroups null) when the task declares any."""
    metrics = evaluate(ctx, predictions, labels)
    outcome = evaluate_subgroups(ctx, predictions, labels, table, task, k)
    if outcome is not None:
        metrics[SUBGROUPS_KEY] = outcome.metrics
    return metrics
