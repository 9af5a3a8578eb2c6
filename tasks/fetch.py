"""Task: read a container from the registry and fetch its files onto the site (retried: a download)."""

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from medperf.containers.spec import ContainerSpec
from medperf.schemas import ContainerPublic
from medperf.settings import SiteSettings, default_home
from medperf.site.connections import site_registry, site_store
from medperf.site.container_fetch import site_container_spec


@task(name="fetch_container", retries=3, retry_delay_seconds=exponential_backoff(2), cache_policy=NO_CACHE)
def fetch_container(container_id: int, settings: SiteSettings) -> tuple[ContainerPublic, ContainerSpec]:
    """The registry record of a container and its runnable spec (archives verified by sha256).

    With the docker runner the container's image archive is loaded when its image is missing.
    """
    with site_registry(default_home()) as registry:
        container = registry.containers.get(container_id)
    return container, site_container_spec(container, site_store(), settings)
