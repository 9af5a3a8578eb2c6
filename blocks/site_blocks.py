"""Register a site's blocks (`medperf site up`): the data site and its registry connection, no secrets."""

from __future__ import annotations

from pathlib import Path

from blocks.data_site import MedPerfDataSite, block_name
from blocks.registry_connection import MedPerfRegistryConnection
from medperf.settings import SiteSettings


def register_site_blocks(settings: SiteSettings, registry_url: str, profile: str, token_file: Path) -> list[str]:
    """Create or update the site's two block documents; their names as "type-slug/name".

    A data-site block the operator edited keeps its edits (limits, approval wait); what the site machine
    owns (name, data root, runner, registry) is written again.
    """
    from prefect.exceptions import ObjectNotFound

    name = block_name(settings.name)
    fresh = MedPerfDataSite.of(settings, registry_url)
    try:
        existing: MedPerfDataSite = MedPerfDataSite.load(name, _sync=True)  # type: ignore[call-arg,assignment]
        if existing.site == settings.name and existing.data_root == str(settings.data_root):
            fresh = fresh.model_copy(update={field: getattr(existing, field) for field in (
                "task_timeout", "memory_limit_mb", "cpu_limit", "pids_limit", "approval_wait")})
    except (ObjectNotFound, ValueError):
        pass
    fresh.save(name, overwrite=True, _sync=True)  # type: ignore[call-arg]
    connection = MedPerfRegistryConnection(url=registry_url, profile=profile, token_file=str(token_file))
    connection.save(name, overwrite=True, _sync=True)  # type: ignore[call-arg]
    return [f"{kind.get_block_type_slug()}/{name}" for kind in (MedPerfDataSite, MedPerfRegistryConnection)]
