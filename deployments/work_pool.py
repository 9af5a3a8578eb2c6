"""Create or update a site's work pool (process by default; docker/kubernetes need their Prefect package)."""

from typing import Any

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
from prefect.client.schemas.objects import WorkPool
from prefect.exceptions import ObjectNotFound
from prefect.workers.base import BaseWorker

from medperf.errors import ConfigError

WORKER_PACKAGES = {"docker": "prefect-docker", "kubernetes": "prefect-kubernetes"}


def default_job_template(pool_type: str) -> dict[str, Any]:
    """The base job template of the installed worker type (never fetched from the internet)."""
    worker = BaseWorker.get_worker_class_from_type(pool_type)
    if worker is None:
        package = WORKER_PACKAGES.get(pool_type, f"the Prefect worker package for {pool_type!r}")
        raise ConfigError(f"work pool type {pool_type!r} needs {package} on this machine: pip install {package}")
    return dict(worker.get_default_base_job_template())


def ensure_work_pool(name: str, pool_type: str, concurrency_limit: int) -> WorkPool:
    """The pool `name`, created when missing; its concurrency limit is set to `concurrency_limit` either way."""
    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(name)
        except ObjectNotFound:
            return client.create_work_pool(
                WorkPoolCreate(
                    name=name,
                    type=pool_type,
                    base_job_template=default_job_template(pool_type),
                    concurrency_limit=concurrency_limit,
                    description=f"MedPerf data site {name}",
                )
            )
        if pool.type != pool_type:
            raise ConfigError(
                f"work pool {name!r} already exists with type {pool.type!r}, not {pool_type!r}; "
                f"delete it (`prefect work-pool delete {name}`) or keep type {pool.type!r}"
            )
        if pool.concurrency_limit != concurrency_limit:
            client.update_work_pool(name, WorkPoolUpdate(concurrency_limit=concurrency_limit))
        return client.read_work_pool(name)
