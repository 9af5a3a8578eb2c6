"""The release policy enforced again on the server (defence in depth): statistics and metrics a site sends."""

from collections.abc import Mapping
from typing import Any

from medperf.release_policy import check_metrics, check_statistics
from medperf.schemas import ReleasePolicy
from medperf.schemas.task import TaskDeclaration
from medperf.server.tables import Benchmark


def release_policy_of(benchmark: Benchmark) -> ReleasePolicy:
    """The benchmark's stored release policy as the typed model."""
    return ReleasePolicy.model_validate(benchmark.release_policy)


def task_of(benchmark: Benchmark) -> TaskDeclaration | None:
    """The benchmark's declared task, if it has one."""
    return TaskDeclaration.model_validate(benchmark.task) if benchmark.task else None


def check_dataset_statistics(statistics: Mapping[str, Any], benchmark: Benchmark) -> None:
    """Raise PolicyViolation (answered 422, naming the key) unless the benchmark's policy lets them leave."""
    check_statistics(statistics, release_policy_of(benchmark), task=task_of(benchmark))


def check_result_metrics(metrics: Mapping[str, Any], benchmark: Benchmark, statistics: Mapping[str, Any]) -> None:
    """Raise PolicyViolation unless the metrics may leave; k applies to the dataset's declared num_cases."""
    declared = statistics.get("num_cases")
    num_cases = declared if isinstance(declared, int) and not isinstance(declared, bool) else None
    check_metrics(metrics, release_policy_of(benchmark), num_cases, task=task_of(benchmark))
