"""The data site as a Prefect block: what it is (shown) and the limits and approval wait an operator may edit."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from prefect.blocks.core import Block
from pydantic import Field

from medperf.durations import human_duration, parse_duration
from medperf.settings import SiteSettings

# Fields an edit in the UI changes for the site's next runs. Name, data root and runner are shown only: they
# change on the site machine (`medperf site up`), never from the shared server.
EDITABLE = ("task_timeout", "memory_limit_mb", "cpu_limit", "pids_limit", "approval_wait")


def block_name(site: str) -> str:
    """The block document's name for a site (Prefect allows lowercase letters, digits and dashes)."""
    return re.sub(r"[^a-z0-9-]+", "-", site.lower()).strip("-") or "site"


class MedPerfDataSite(Block):
    """A MedPerf data site: its name, data folder and runner (set on the site machine by `medperf site up`),
    and the limits and approval wait its runs use (editable here; they apply from the next run on)."""

    _block_type_name: ClassVar[str] = "MedPerf data site"
    _block_type_slug: ClassVar[str] = "medperf-data-site"
    _description: ClassVar[str] = (
        "A MedPerf data site. Name, data root and runner are set on the site machine (`medperf site up`); "
        "the limits and the approval wait may be edited here and apply to the site's next runs."
    )

    site: str = Field(title="Site", description="The site's name (its work pool). Set by `medperf site up`.")
    data_root: str = Field(
        title="Data root", description="The site's data folder on its machine (data never leaves it). Shown only."
    )
    runner: Literal["docker", "sandbox"] = Field(title="Runner", description="How models run. Shown only.")
    registry_url: str = Field(default="", title="Registry", description="The MedPerf registry the site talks to.")
    task_timeout: str = Field(
        default="1 hour", title="Step time limit", description='Longest a container step may run, e.g. "2 hours".'
    )
    memory_limit_mb: int = Field(default=4096, ge=64, title="Memory limit (MB)", description="Per container step.")
    cpu_limit: float = Field(default=2.0, gt=0, title="CPU limit (cores)", description="Per container step.")
    pids_limit: int = Field(default=512, ge=16, title="Process limit", description="Per container step.")
    approval_wait: Literal["suspend", "pause"] = Field(
        default="suspend",
        title="Approval wait",
        description="suspend: the run frees its process while it waits (days); pause: it keeps it (minutes).",
    )

    @classmethod
    def of(cls, settings: SiteSettings, registry_url: str = "") -> MedPerfDataSite:
        """The block describing these site settings."""
        return cls(
            site=settings.name,
            data_root=str(settings.data_root),
            runner=settings.runner,
            registry_url=registry_url,
            task_timeout=human_duration(settings.task_timeout_seconds),
            memory_limit_mb=settings.memory_limit_mb,
            cpu_limit=settings.cpu_limit,
            pids_limit=settings.pids_limit,
            approval_wait=settings.approval_wait,
        )

    def edits(self) -> dict[str, Any]:
        """The editable values as SiteSettings fields."""
        return {
            "task_timeout_seconds": round(parse_duration(self.task_timeout, "MedPerf data site: Step time limit")),
            "memory_limit_mb": self.memory_limit_mb,
            "cpu_limit": self.cpu_limit,
            "pids_limit": self.pids_limit,
            "approval_wait": self.approval_wait,
        }


def with_operator_edits(settings: SiteSettings) -> SiteSettings:
    """The site's settings with the limits and approval wait the operator set in its block, if it has one.

    The block must describe this same site (name and data root): a block cannot point a site elsewhere.
    """
    from prefect.exceptions import ObjectNotFound

    try:
        block: MedPerfDataSite = MedPerfDataSite.load(block_name(settings.name), _sync=True)  # type: ignore[call-arg,assignment]
    except (ObjectNotFound, ValueError):
        return settings
    if block.site != settings.name or block.data_root != str(settings.data_root):
        return settings
    return settings.model_copy(update=block.edits())
