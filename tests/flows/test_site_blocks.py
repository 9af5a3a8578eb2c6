"""The site's blocks on a real Prefect server: registered without secrets, edited in the UI, applied to runs."""

from pathlib import Path

import httpx
import pytest

from blocks.data_site import MedPerfDataSite, block_name, with_operator_edits
from blocks.registry_connection import MedPerfRegistryConnection
from blocks.site_blocks import register_site_blocks
from medperf.settings import SiteSettings

pytestmark = pytest.mark.prefect
TOKEN = "secret-token-that-must-stay-on-the-site-0123456789"


def _settings(tmp_path: Path, name: str = "Site A") -> SiteSettings:
    return SiteSettings(name=name, data_root=tmp_path / "data", runner="sandbox", task_timeout_seconds=3600)


def test_site_up_registers_both_blocks_and_no_secret_reaches_the_server(prefect_api: str, tmp_path: Path) -> None:
    profiles = tmp_path / "profiles.yaml"
    profiles.write_text(f"token: {TOKEN}\n")
    names = register_site_blocks(_settings(tmp_path), "http://127.0.0.1:1/registry", "site-a", profiles)
    assert names == ["medperf-data-site/site-a", "medperf-registry-connection/site-a"]

    site = MedPerfDataSite.load("site-a", _sync=True)  # type: ignore[call-arg]
    assert (site.site, site.data_root, site.task_timeout) == ("Site A", str(tmp_path / "data"), "1 hour")
    connection = MedPerfRegistryConnection.load("site-a", _sync=True)  # type: ignore[call-arg]
    assert connection.token_file == str(profiles) and connection.url == "http://127.0.0.1:1/registry"
    everything = httpx.post(f"{prefect_api}/block_documents/filter", json={"include_secrets": True}, timeout=30)
    assert TOKEN not in everything.text, "a site's token must never be stored on the Prefect server"


def test_an_operator_edit_in_the_block_applies_to_the_next_run_and_survives_site_up(
    prefect_api: str, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, "site-edit")
    register_site_blocks(settings, "http://registry", "p", tmp_path / "profiles.yaml")
    block = MedPerfDataSite.load(block_name("site-edit"), _sync=True)  # type: ignore[call-arg]
    # what the UI's edit form does: change the limits and the wait, save the document
    edited = block.model_copy(update={"task_timeout": "90 min", "memory_limit_mb": 1024, "approval_wait": "pause"})
    edited.save(block_name("site-edit"), overwrite=True, _sync=True)  # type: ignore[call-arg]

    applied = with_operator_edits(settings)
    assert (applied.task_timeout_seconds, applied.memory_limit_mb, applied.approval_wait) == (5400, 1024, "pause")
    assert applied.data_root == settings.data_root and applied.runner == settings.runner

    register_site_blocks(settings, "http://registry", "p", tmp_path / "profiles.yaml")  # `site up` again
    assert with_operator_edits(settings).memory_limit_mb == 1024, "site up keeps the operator's edits"


def test_a_block_cannot_point_a_site_elsewhere(prefect_api: str, tmp_path: Path) -> None:
    settings = _settings(tmp_path, "site-moved")
    register_site_blocks(settings, "http://registry", "p", tmp_path / "profiles.yaml")
    block = MedPerfDataSite.load("site-moved", _sync=True)  # type: ignore[call-arg]
    moved = block.model_copy(update={"data_root": "/somewhere/else", "memory_limit_mb": 99999})
    moved.save("site-moved", overwrite=True, _sync=True)  # type: ignore[call-arg]
    assert with_operator_edits(settings) == settings, "a block for another data root changes nothing"


def test_without_a_block_the_site_settings_stand(prefect_api: str, tmp_path: Path) -> None:
    settings = _settings(tmp_path, "site-without-block")
    assert with_operator_edits(settings) == settings
