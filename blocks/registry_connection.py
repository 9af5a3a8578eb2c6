"""The site's registry connection as a Prefect block: the URL and where the token lives, never the token."""

from __future__ import annotations

from typing import ClassVar

from prefect.blocks.core import Block
from pydantic import Field


class MedPerfRegistryConnection(Block):
    """How a site reaches the MedPerf registry. The token stays in a file on the site machine; this block
    only names the profile and the file, so a shared Prefect server never holds a site's credentials."""

    _block_type_name: ClassVar[str] = "MedPerf registry connection"
    _block_type_slug: ClassVar[str] = "medperf-registry-connection"
    _description: ClassVar[str] = "The MedPerf registry a site talks to; the token stays on the site machine."

    url: str = Field(title="Registry URL", description="e.g. https://registry.example.org")
    profile: str = Field(default="", title="Profile", description="The `medperf auth` profile the site uses.")
    token_file: str = Field(
        title="Token file (on the site machine)",
        description="Where the site's token is kept; the token itself is never stored on the Prefect server.",
    )
