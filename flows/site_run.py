"""What both site flows share: task options from site settings and the local failure record."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from prefect import Task

from medperf.errors import MedPerfError
from medperf.settings import SiteSettings
from medperf.site.run_store import FAILURE, RunStore
from tasks.options import site_result_storage

T = TypeVar("T", bound=Task[Any, Any])


BACKSTOP_S = 60


def site_task(task: T, settings: SiteSettings) -> T:
    """The task with the site's timeout and results persisted on the site only.

    The runner enforces settings.task_timeout_seconds (it kills the container and says so); Prefect's own
    task timeout is a backstop a minute later, for a runner that hangs.
    """
    return task.with_options(  # type: ignore[return-value]
        timeout_seconds=settings.task_timeout_seconds + BACKSTOP_S, result_storage=site_result_storage(settings)
    )


@contextmanager
def record_failures(settings: SiteSettings, flow_run_id: str) -> Iterator[None]:
    """Keep a local record of the error that stopped a run (its message carries no case data)."""
    try:
        yield
    except MedPerfError as err:
        store = RunStore(settings.data_root)
        if store.read(flow_run_id, FAILURE) is None:  # keep a step's own, more detailed record
            store.record_failure(flow_run_id, type(err).__name__, str(err), {})
        raise
