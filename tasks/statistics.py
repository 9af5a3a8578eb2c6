"""Task: the container's statistics plus the platform's summary of the prepared data."""

from typing import Any

from prefect import get_run_logger, task

from medperf.containers.factory import make_runner
from medperf.containers.spec import ContainerSpec
from medperf.schemas.task import TaskDeclaration
from medperf.settings import SiteSettings
from medperf.site import dataset_steps
from medperf.site.container_steps import StepContext
from medperf.site.dataset_steps import PreparedDataset
from medperf.site.step_keys import work_dir
from tasks.options import by_step_key


@task(name="statistics", cache_key_fn=by_step_key, persist_result=True)
def statistics(
    step_key: str,
    spec: ContainerSpec,
    prepared: PreparedDataset,
    sanity: dict[str, int],
    settings: SiteSettings,
    suite: dict[str, Any] | None = None,
    task: TaskDeclaration | None = None,
    k: int | None = None,
) -> dict[str, Any]:
    """The statistics payload candidate (checked against the release policy by the flow).

    suite is the benchmark's sanity_suite: its `target` picks the per-case table num_cases counts; task (the
    benchmark's declaration) picks the label summary and drift; k makes every platform cell 0 or >= k.
    """
    ctx = StepContext(
        make_runner(settings), spec, work_dir(settings.data_root, step_key), settings.task_timeout_seconds
    )
    stats = dataset_steps.statistics(ctx, prepared, sanity, suite, task, k)
    get_run_logger().info("statistics computed: keys %s", sorted(stats))
    return stats
