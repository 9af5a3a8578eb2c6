"""A benchmark's declared task: its kind, its metrics (direction, range, CI keys), labels, subgroups, reference."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

METRIC_NAME = r"^[a-z][a-z0-9_]{0,63}$"


class TaskKind(StrEnum):
    """What the models of a benchmark predict."""

    BINARY = "binary"
    MULTICLASS = "multiclass"
    MULTILABEL = "multilabel"
    REGRESSION = "regression"
    SEGMENTATION = "segmentation"
    DETECTION = "detection"
    FREE = "free"


class Direction(StrEnum):
    """Which way a metric gets better."""

    HIGHER = "higher"
    LOWER = "lower"


class LabelKind(StrEnum):
    """How the site's statistics summarise the label column."""

    CATEGORICAL = "categorical"  # class counts, each cell 0 or >= k
    CONTINUOUS = "continuous"  # quantiles over k-anonymous bins, never per-value keys
    MASK = "mask"  # per-structure volume summaries
    NONE = "none"  # no label summary


class MetricSpec(BaseModel):
    """One declared metric of the evaluator's output."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=METRIC_NAME, description="the key in the evaluator's results")
    direction: Direction = Field(description="higher or lower is better")
    range: tuple[float | None, float | None] = Field(
        default=(None, None), description="[low, high] a value must lie in; null = unbounded"
    )
    ci: tuple[str, str] | None = Field(
        default=None, description="the keys of the low and high ends of its confidence interval, if any"
    )
    description: str = Field(default="", max_length=400)

    def better(self, a: float, b: float) -> bool:
        """Whether value a is strictly better than b."""
        return a > b if self.direction is Direction.HIGHER else a < b


class TaskDeclaration(BaseModel):
    """The `task:` block of benchmark.yaml, stored with the benchmark in the registry."""

    model_config = ConfigDict(extra="forbid")

    kind: TaskKind
    metrics: list[MetricSpec] = Field(min_length=1)
    primary_metric: str = Field(pattern=METRIC_NAME)
    count_key: str = Field(default="num_cases", pattern=METRIC_NAME, description="the metric key of the case count")
    label_column: str | None = Field(default="label", max_length=128, description="label column of the case table")
    label_kind: LabelKind = LabelKind.CATEGORICAL
    subgroups: list[str] = Field(
        default_factory=list, description="columns of the per-case table the evaluator is also run per value of"
    )
    reference_statistics: dict[str, Any] | None = Field(
        default=None, description="aggregate statistics of the demo / public data the sites' drift is measured against"
    )

    @model_validator(mode="after")
    def _consistent(self) -> TaskDeclaration:
        names = [metric.name for metric in self.metrics]
        if len(set(names)) != len(names):
            raise ValueError("task.metrics: a metric name appears twice")
        if self.primary_metric not in names:
            raise ValueError(f"task.primary_metric: '{self.primary_metric}' is not one of task.metrics ({names})")
        if self.count_key in names:
            raise ValueError("task.count_key: the count key is not a metric; name it apart from task.metrics")
        return self

    def metric(self, name: str) -> MetricSpec | None:
        """The declared metric of this name, or None."""
        return next((metric for metric in self.metrics if metric.name == name), None)

    def metric_keys(self) -> list[str]:
        """Every key the evaluator's output may carry under this declaration (metrics, CI ends, count)."""
        keys: list[str] = []
        for metric in self.metrics:
            keys.append(metric.name)
            if metric.ci is not None:
                keys.extend(metric.ci)
        keys.append(self.count_key)
        return keys

    def result_problems(self, metrics: dict[str, Any]) -> list[str]:
        """What in an evaluator's results breaks this declaration (empty when they fit), one line each."""
        problems: list[str] = []
        for metric in self.metrics:
            value = _number(metrics.get(metric.name))
            if value is None:
                problems.append(f"task.metrics.{metric.name}: the evaluator's results have no number under this key")
                continue
            low, high = metric.range
            if (low is not None and value < low) or (high is not None and value > high):
                problems.append(f"task.metrics.{metric.name}: {value} lies outside the declared range [{low}, {high}]")
            for end in metric.ci or ():
                if _number(metrics.get(end)) is None:
                    problems.append(f"task.metrics.{metric.name}.ci: the evaluator's results have no number at {end!r}")
        if _number(metrics.get(self.count_key)) is None:
            problems.append(f"task.count_key: the evaluator's results have no case count at {self.count_key!r}")
        return problems


def _number(raw: Any) -> float | None:
    """A metric value as a float, or None when absent, not a number or NaN."""
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw != raw:
        return None
    return float(raw)


def binary_defaults() -> TaskDeclaration:
    """What a benchmark registered before declarations existed is read as: binary, AUC first, 95 % CIs."""
    names = ("auc", "accuracy", "sensitivity", "specificity")
    return TaskDeclaration(
        kind=TaskKind.BINARY,
        primary_metric="auc",
        metrics=[
            MetricSpec(
                name=name, direction=Direction.HIGHER, range=(0.0, 1.0), ci=(f"{name}_ci_low", f"{name}_ci_high")
            )
            for name in names
        ],
    )
