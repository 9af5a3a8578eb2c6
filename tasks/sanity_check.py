"""Task: the container's own sanity check and the benchmark's Great Expectations suite."""

from pathlib import Path
from typing import Any

from prefect import get_run_logger, task

from medperf.containers.factory import make_runner
from medperf.containers.spec import ContainerSpec
from medperf.settings import SiteSettings
from medperf.site import dataset_steps
from medperf.site.container_steps import StepContext
from medperf.site.dataset_steps import PreparedDataset
from medperf.site.step_keys import work_dir
from tasks.options import by_step_key


@task(name="sanity_check", cache_key_fn=by_step_key, persist_result=True)
def sanity_check(
    step_key: str,
    spec: ContainerSpec,
    prepared: PreparedDataset,
    suite: dict[str, Any] | None,
    report_path: Path,
    settings: SiteSettings,
) -> dict[str, int]:
    """Counts of the checks that ran; SanityCheckFailed (expectation names and counts only) otherwise."""
    ctx = StepContext(
        make_runner(settings), spec, work_dir(settings.data_root, step_key), settings.task_timeout_seconds
    )
    counts = dataset_steps.sanity_check(ctx, prepared, suite, report_path)
    get_run_logger().info("sanity checks passed: %s", counts)
    return counts
