"""benchmark.yaml's `task:` block: errors name task.<field>; the policy's metric keys follow the declaration."""

from pathlib import Path

import pytest
import yaml
from support.task_declarations import REGRESSION_TASK

from medperf.bundle import load_benchmark_file
from medperf.errors import ConfigError

from .test_folder_errors import copy, edit_benchmark  # noqa: F401  (fixture)

REGRESSION = REGRESSION_TASK  # mae (with its interval) and r2


def _policy_without_metric_keys(folder: Path) -> dict[str, object]:
    policy: dict[str, object] = yaml.safe_load((folder / "benchmark" / "benchmark.yaml").read_text())["release_policy"]
    policy.pop("allowed_metric_keys")
    return policy


def test_the_examples_declare_a_binary_task_ranked_by_auc(copy: Path) -> None:  # noqa: F811
    file = load_benchmark_file(copy)
    assert file.task is not None and file.task.kind == "binary" and file.task.primary_metric == "auc"
    assert [m.name for m in file.task.metrics] == ["auc", "accuracy", "sensitivity", "specificity"]


def test_omitted_allowed_metric_keys_follow_from_the_declaration(copy: Path) -> None:  # noqa: F811
    edit_benchmark(copy, task=REGRESSION, release_policy=_policy_without_metric_keys(copy))
    file = load_benchmark_file(copy)
    assert file.release_policy.allowed_metric_keys == ["mae", "mae_ci_low", "mae_ci_high", "r2", "num_cases"]


def test_a_declared_key_the_policy_does_not_allow_is_refused(copy: Path) -> None:  # noqa: F811
    path = edit_benchmark(copy, task=REGRESSION)  # the example's policy allows the binary keys only
    with pytest.raises(ConfigError, match=rf"^{path}: release_policy.allowed_metric_keys: .*'mae'"):
        load_benchmark_file(copy)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"primary_metric": "auc"}, "task.primary_metric"),
        ({"kind": "ranking"}, "task.kind"),
        ({"metrics": [{"name": "mae", "direction": "down"}]}, "task.metrics.0.direction"),
    ],
)
def test_a_bad_declaration_names_the_task_field(copy: Path, change: dict[str, object], field: str) -> None:  # noqa: F811
    path = edit_benchmark(copy, task={**REGRESSION, **change}, release_policy=_policy_without_metric_keys(copy))
    with pytest.raises(ConfigError, match=rf"^{path}: {field}[:.]? ") as err:
        load_benchmark_file(copy)
    assert "\n" not in str(err.value)
