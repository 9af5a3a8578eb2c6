"""Task: run a model container on the prepared data (never the labels)."""

from pathlib import Path

from prefect import get_run_logger, task

from medperf.containers.factory import make_runner
from medperf.containers.spec import ContainerSpec
from medperf.settings import SiteSettings
from medperf.site import evaluation_steps
from medperf.site.container_steps import StepContext
from medperf.site.evaluation_steps import Predictions
from medperf.site.step_keys import work_dir
from tasks.options import by_step_key


@task(name="infer", cache_key_fn=by_step_key, persist_result=True)
def infer(step_key: str, spec: ContainerSpec, prepared_data: Path, settings: SiteSettings) -> Predictions:
    """Predictions in a site folder keyed by the model and data hashes."""
    ctx = StepContext(
        make_runner(settings), spec, work_dir(settings.data_root, step_key), settings.task_timeout_seconds
    )
    predictions = evaluation_steps.infer(ctx, prepared_data)
    get_run_logger().info("inference finished (predictions stay on the site)")
    return predictions
