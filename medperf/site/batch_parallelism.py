"""How many pairs of one campaign run a site evaluates at once: its setting, else its pool's limit, in memory."""

import os
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from prefect.client.orchestration import get_client

from medperf.settings import SiteSettings


@dataclass(frozen=True)
class Parallelism:
    """How many pairs run at once, and why (what the site's log tells the operator)."""

    pairs_at_once: int
    reason: str


def pool_concurrency(flow_run_id: str) -> int | None:
    """The concurrency limit of the work pool the run was dispatched to (None: no pool, or no limit)."""
    with get_client(sync_client=True) as client:
        pool_name = client.read_flow_run(UUID(flow_run_id)).work_pool_name
        if not pool_name:
            return None
        limit = client.read_work_pool(pool_name).concurrency_limit
    return int(limit) if limit else None


MEMINFO = Path("/proc/meminfo")


def available_memory_mb(meminfo: Path = MEMINFO) -> int | None:
    """Memory the kernel says new work can use now without swapping (MemAvailable), in MB; None if not told."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024  # kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def host_memory_mb() -> int | None:
    """Memory available now (what other work on the site's machine leaves), else physical memory, in MB."""
    available = available_memory_mb()
    if available is not None:
        return available
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20)
    except (AttributeError, ValueError, OSError):
        return None


def plan_parallelism(settings: SiteSettings, flow_run_id: str, pairs: int) -> Parallelism:
    """The site's batch_parallelism as set; else its pool's limit (1 outside a pool), cut to as many containers
    as fit the memory available now at the site's memory limit each; never more than the pairs."""
    if settings.batch_parallelism:
        wanted, reason = settings.batch_parallelism, "the site's batch_parallelism"
    else:
        limit = pool_concurrency(flow_run_id)
        wanted, reason = (limit, "the work pool's concurrency limit") if limit else (1, "no pool limit")
        memory = host_memory_mb()
        fit = max(1, memory // settings.memory_limit_mb) if memory else wanted
        if fit < wanted:
            wanted = fit
            reason = f"{fit} x memory_limit_mb {settings.memory_limit_mb} fit in the {memory} MB available now"
    if pairs < wanted:
        return Parallelism(max(1, pairs), "one per pair")
    return Parallelism(wanted, reason)

