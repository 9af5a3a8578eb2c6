"""The operator starts evaluate_model from its deployment's form in the Prefect UI, naming things by name."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flow_harness import answer, site_code, wait_for_approval_form, wait_for_final_state
from playwright.sync_api import Page
from prefect.client.orchestration import get_client
from site_flows import SiteWorld

from medperf.client import RegistryClient
from medperf.site.run_store import RunStore

pytestmark = pytest.mark.prefect
DOCS = Path(__file__).resolve().parents[2] / "docs"
UI_TIMEOUT_MS = 90_000


def _by_name(page: Page, parameter: str, name: str) -> None:
    field = page.locator(".schema-form-property").filter(
        has=page.locator(".schema-form-property__label", has_text=parameter)
    ).first
    field.get_by_role("button", name="name", exact=True).click()
    field.locator("input, textarea").first.fill(name)


def test_operator_starts_evaluate_model_by_names_from_the_deployment_form(
    served_site: None,
    site_world: Callable[..., SiteWorld],
    data_owner: RegistryClient,
    prefect_server: Any,
    browser: Any,
) -> None:
    site = site_world()
    dataset_id = site.prepared_dataset()
    dataset = data_owner.datasets.get(dataset_id)
    model = site.world.reference_model
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("evaluate_model/site-a")
    before = {item.flow_run_id for item in RunStore(site.data_root).approvals()}

    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"{prefect_server.ui_url}/deployments/deployment/{deployment.id}/run")
        _by_name(page, "benchmark_id", site.world.benchmark.name)
        _by_name(page, "model_id", model.name)
        _by_name(page, "dataset_id", dataset.name)
        assert "7 days" in page.content(), "the approval wait is shown in human units"
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / "ui-start-evaluation.png"), full_page=True)
        page.get_by_role("button", name="Submit").click()
        pending = wait_for_approval_form(site.data_root, before)  # suspended at the form
    finally:
        context.close()

    # the flow resolved the names and labelled itself: a campaign sees the same pair as one it dispatched
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(pending.flow_run_id)
    assert run.name == f"site-a: evaluate {model.name} on {dataset.name}"
    assert {f"medperf-model:{model.id}", f"medperf-dataset:{dataset_id}"} <= set(run.tags)
    answer(pending.flow_run_id, approve=True, code=site_code(site.site_home, pending))
    final = wait_for_final_state(pending.flow_run_id)
    assert final.is_completed(), final.message
    (result,) = data_owner.results.list(benchmark_id=site.benchmark_id, model_id=model.id).items
    assert result.dataset_id == dataset_id and result.status.value == "FINALIZED"
