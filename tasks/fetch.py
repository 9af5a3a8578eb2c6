"""Task: read a container from the registry and fetch its files onto the site (retried: a download)."""

from typing import Any

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.states import State
from prefect.tasks import exponential_backoff

from medperf.containers.spec import ContainerSpec
from medperf.errors import ConfigError, HashMismatch
from medperf.schemas import ContainerPublic
from medperf.settings import SiteSettings, default_home
from medperf.site.connections import site_registry, site_store
from medperf.site.container_fetch import site_container_spec


def _is_transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry downloads and registry hiccups; never a bad config, a bad requirements file or a wrong hash."""
    try:
        state.result()
    except (ConfigError, HashMismatch):
        return False
    except Exception:  # noqa: BLE001 - anything else may be transient
        return True
    return False


@task(
    name="fetch_container",
    retries=3,
    retry_delay_seconds=exponential_backoff(2),
    retry_condition_fn=_is_transient,
    cache_policy=NO_CACHE,
)
def fetch_container(container_id: int, settings: SiteSettings) -> tuple[ContainerPublic, ContainerSpec]:
    """The registry record of a container and its runnable spec (archives verified by sha256).

    With the docker runner the container's image archive is loaded when its image is missing.
    """
    with site_registry(default_home()) as registry:
        container = registry.containers.get(container_id)
    return container, site_container_spec(container, site_store(), settings)
