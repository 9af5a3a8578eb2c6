"""Task: run the benchmark's evaluator on predictions and labels."""

from pathlib import Path
from typing import Any

from prefect import get_run_logger, task

from medperf.containers.factory import make_runner
from medperf.containers.spec import ContainerSpec
from medperf.settings import SiteSettings
from medperf.site import evaluation_steps
from medperf.site.container_steps import StepContext
from medperf.site.dataset_steps import per_case_table
from medperf.site.evaluation_steps import SubgroupInputs
from medperf.site.step_keys import work_dir
from tasks.options import by_step_key


@task(name="evaluate", cache_key_fn=by_step_key, persist_result=True)
def evaluate(
    step_key: str,
    spec: ContainerSpec,
    predictions: Path,
    labels: Path,
    settings: SiteSettings,
    subgroups: SubgroupInputs | None = None,
) -> dict[str, Any]:
    """The evaluator's metrics (checked against the release policy by the flow).

    With `subgroups` (the benchmark declares subgroup columns) the evaluator also runs once per subgroup of
    the prepared dataset's per-case table; subgroups below k are suppressed before anyone sees the metrics.
    """
    ctx = StepContext(
        make_runner(settings), spec, work_dir(settings.data_root, step_key), settings.task_timeout_seconds
    )
    if subgroups is None:
        metrics = evaluation_steps.evaluate(ctx, predictions, labels)
    else:
        table = per_case_table(subgroups.prepared, subgroups.suite, summaries=False)
        metrics = evaluation_steps.evaluate_with_subgroups(ctx, predictions, labels, table, subgroups.task, subgroups.k)
    get_run_logger().info("evaluation finished: metrics %s", sorted(metrics))
    return metrics
