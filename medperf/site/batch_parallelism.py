"""How many pairs of one campaign run a site evaluates at once: its setting, else its work pool's limit."""

from uuid import UUID

from prefect.client.orchestration import get_client

from medperf.settings import SiteSettings


def pool_concurrency(flow_run_id: str) -> int | None:
    """The concurrency limit of the work pool the run was dispatched to (None: no pool, or no limit)."""
    with get_client(sync_client=True) as client:
        pool_name = client.read_flow_run(UUID(flow_run_id)).work_pool_name
        if not pool_name:
            return None
        limit = client.read_work_pool(pool_name).concurrency_limit
    return int(limit) if limit else None


def batch_parallelism(settings: SiteSettings, flow_run_id: str, pairs: int) -> int:
    """The site's batch_parallelism, else its pool's concurrency limit, else 1; never more than the pairs."""
    wanted = settings.batch_parallelism or pool_concurrency(flow_run_id) or 1
    return max(1, min(wanted, pairs))
