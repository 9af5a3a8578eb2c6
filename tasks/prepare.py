"""Task: run the benchmark's data-preparation container on the raw data."""

from pathlib import Path

from prefect import get_run_logger, task

from medperf.containers.factory import make_runner
from medperf.containers.spec import ContainerSpec
from medperf.settings import SiteSettings
from medperf.site import dataset_steps
from medperf.site.container_steps import StepContext
from medperf.site.dataset_steps import PreparedDataset
from medperf.site.step_keys import work_dir
from tasks.options import by_step_key


@task(name="prepare", cache_key_fn=by_step_key, persist_result=True)
def prepare(
    step_key: str, spec: ContainerSpec, raw_data: Path, raw_labels: Path, settings: SiteSettings
) -> PreparedDataset:
    """Turn raw data into the benchmark's standard format in a site folder keyed by the inputs."""
    ctx = StepContext(
        make_runner(settings), spec, work_dir(settings.data_root, step_key), settings.task_timeout_seconds
    )
    prepared = dataset_steps.prepare(ctx, raw_data, raw_labels)
    get_run_logger().info("prepared data written on the site (hash %s...)", prepared.prepared_hash[:12])
    return prepared
