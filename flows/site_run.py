"""What both site flows share: task options from site settings and the local failure record."""

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

import httpx
from prefect import Task

from medperf.errors import ConnectionLost, MedPerfError
from medperf.retry_policy import is_transient
from medperf.settings import SiteSettings
from medperf.site.disk_space import disk_full_error
from medperf.site.run_store import RunStore
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
        _record(settings, flow_run_id, err)
        raise
    except OSError as err:
        full = disk_full_error(err, settings.data_root)
        if full is None:
            raise
        _record(settings, flow_run_id, full)
        raise full from None
    except Exception as err:
        lost = connection_lost(err)
        if lost is None:
            raise
        _record(settings, flow_run_id, lost)
        _withdraw_unanswered(settings, flow_run_id)
        raise lost from None


def connection_lost(err: BaseException) -> ConnectionLost | None:
    """ConnectionLost naming the server a transient network error (after the client's retries) was with."""
    if not is_transient(err):
        return None
    where = "a server it needs"
    current: BaseException | None = err
    while current is not None:
        if isinstance(current, httpx.RequestError | httpx.HTTPStatusError):  # they keep the request they failed on
            with suppress(RuntimeError):
                url = current.request.url
                where = f"the server at {url.scheme}://{url.netloc.decode()}"
                break
        current = current.__cause__ or current.__context__
    return ConnectionLost(
        f"the run lost {where} ({type(err).__name__}) and stopped; the campaign dispatches it again once the "
        "server answers (an approval it asked for is withdrawn)"
    )


def _withdraw_unanswered(settings: SiteSettings, flow_run_id: str) -> None:
    with suppress(OSError):
        RunStore(settings.data_root).withdraw_unanswered(flow_run_id, "the run stopped before the data owner answered")


def _record(settings: SiteSettings, flow_run_id: str, err: MedPerfError) -> None:
    store = RunStore(settings.data_root)
    try:
        if store.run_failure(flow_run_id) is None:  # keep a step's own, more detailed record
            store.record_failure(flow_run_id, type(err).__name__, str(err), {})
    except OSError:  # the record's own disk is full: the run still fails with the error itself
        return
