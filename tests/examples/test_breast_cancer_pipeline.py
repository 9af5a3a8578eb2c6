"""The demo dataset runs through every task as the configs say, and the outputs fit the release policy."""

from pathlib import Path

import pytest
import yaml
from breast_cancer_harness import EXAMPLE, PreparedSite, run_task

from medperf.schemas.entities import ReleasePolicy

POLICY = ReleasePolicy.model_validate(
    yaml.safe_load((EXAMPLE / "benchmark" / "benchmark.yaml").read_text())["release_policy"]
)


@pytest.mark.parametrize("model", ["logreg", "mlp", "gnb"])
def test_demo_pipeline_outputs_only_released_keys(
    model: str, prepared_sites: dict[str, PreparedSite], tmp_path: Path
) -> None:
    demo = prepared_sites["demo"]
    checked = run_task("prep", "sanity_check", {"data_path": demo.data, "labels_path": demo.labels})
    assert checked.returncode == 0, checked.stderr
    stats_file = tmp_path / "statistics" / "statistics.yaml"
    stats = run_task(
        "prep", "statistics", {"data_path": demo.data, "labels_path": demo.labels, "output_path": stats_file}
    )
    assert stats.returncode == 0, stats.stderr
    assert set(yaml.safe_load(stats_file.read_text())) <= set(POLICY.allowed_statistics_keys)

    predictions = tmp_path / "predictions"
    inferred = run_task(f"model-{model}", "infer", {"data_path": demo.data, "output_path": predictions})
    assert inferred.returncode == 0, inferred.stderr
    results_file = tmp_path / "results" / "results.yaml"
    evaluated = run_task(
        "evaluator", "evaluate", {"predictions": predictions, "labels": demo.labels, "output_path": results_file}
    )
    assert evaluated.returncode == 0, evaluated.stderr
    results = yaml.safe_load(results_file.read_text())
    assert list(results) == POLICY.allowed_metric_keys
    assert results["num_cases"] == 30
    assert results["auc"] > 0.8
