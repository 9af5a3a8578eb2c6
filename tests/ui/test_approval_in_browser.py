"""The site operator answers the approval form in the Prefect UI, in a real (headless) chromium."""

import time
from pathlib import Path
from typing import Any

import pytest
from flow_harness import DEADLINE_S, FlowThread, read_run, site_code, start_flow, wait_for_approval_form
from flow_world import World, write_raw_data
from playwright.sync_api import Locator, Page

from flows.prepare_dataset import prepare_dataset
from medperf.site.approval_form import grouped_hash
from medperf.site.run_store import PendingApproval, RunStore

pytestmark = pytest.mark.prefect
DOCS = Path(__file__).resolve().parents[2] / "docs"
UI_TIMEOUT_MS = 60_000


@pytest.fixture
def page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(UI_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def _start(world: World, site_env: dict[str, str], tmp_path: Path, name: str) -> tuple[FlowThread, PendingApproval]:
    raw, labels = write_raw_data(tmp_path / name, 40)
    data_root = Path(site_env["MEDPERF_SITE_DATA_ROOT"])
    before = {item.flow_run_id for item in RunStore(data_root).approvals()}
    run = start_flow(
        prepare_dataset, benchmark_id=world.benchmark.id, data_path=str(raw), labels_path=str(labels), name=name
    )
    return run, wait_for_approval_form(data_root, before, run)


def _field(page: Page, label: str) -> Locator:
    label_of = page.locator(".schema-form-property__label", has_text=label)
    return page.locator(".schema-form-property").filter(has=label_of)


def _open_form(page: Page, ui_url: str, run_name: str) -> None:
    """From the runs list, as an operator: find the paused run by its name, open it, press Resume."""
    page.goto(f"{ui_url}/runs")
    page.get_by_text(run_name, exact=True).first.click()
    page.get_by_role("button", name="Resume").first.click()
    _field(page, "Decision").wait_for()


def _answer(page: Page, decision: str, code: str, comment: str = "") -> None:
    _field(page, "Decision").locator(".p-select-button").click()
    page.keyboard.press("ArrowDown")  # the select opens its options from the keyboard
    page.get_by_role("option", name=decision, exact=True).click()
    _field(page, "Approval code").locator("textarea").fill(code)
    if comment:
        _field(page, "Comment").locator("textarea").fill(comment)
    page.get_by_role("button", name="Submit").click()


def _waits_again(flow_run_id: str, seen: object) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        state = read_run(flow_run_id).state
        keyset = state.state_details.run_input_keyset if state is not None and state.is_paused() else None
        if keyset and keyset != seen:
            return
        time.sleep(0.3)
    raise AssertionError("the run did not ask again after a wrong code")


def test_operator_approves_in_the_browser_after_a_wrong_code(
    world: World, site_env: dict[str, str], site_home: Path, tmp_path: Path, prefect_server: Any, page: Page
) -> None:
    run, pending = _start(world, site_env, tmp_path, "ui-approved")
    run_name = f"site-a: prepare ui-approved for {world.benchmark.name}"
    assert read_run(pending.flow_run_id).name == run_name
    _open_form(page, prefect_server.ui_url, run_name)

    form = page.locator(".markdown-renderer table")  # the payload as a table in the form itself
    assert "statistics.num_cases" in form.inner_text() and "40" in form.inner_text()
    assert f"{world.benchmark.name} (id {world.benchmark.id})" in form.inner_text(), "names, not bare ids"
    description = page.locator(".markdown-renderer").first.inner_text()
    assert grouped_hash(pending.payload["prepared_data_hash"]) in description, "hashes are shown whole"
    assert "Comment (Optional)" in page.content() and "Decision (Optional)" not in page.content()
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "ui-approval-form.png"))

    first = read_run(pending.flow_run_id).state
    assert first is not None
    _answer(page, "approve", "AAAAA-BBBBB")  # a wrong code: nothing is decided, the form asks again
    _waits_again(pending.flow_run_id, first.state_details.run_input_keyset)
    assert world.data_owner.datasets.list(benchmark_id=world.benchmark.id).count == 0

    _open_form(page, prefect_server.ui_url, run_name)
    _answer(page, "approve", site_code(site_home, pending).lower().replace("-", ""), "checked in the UI")
    state = run.state()
    assert state.is_completed(), state.message
    (dataset,) = world.data_owner.datasets.list(benchmark_id=world.benchmark.id).items  # in the registry
    assert dataset.prepared_data_hash == pending.payload["prepared_data_hash"]
    page.reload()
    page.get_by_text("Completed").first.wait_for()


def test_operator_rejects_in_the_browser_and_sees_rejected(
    world: World, site_env: dict[str, str], site_home: Path, tmp_path: Path, prefect_server: Any, page: Page
) -> None:
    run, pending = _start(world, site_env, tmp_path, "ui-rejected")
    run_name = f"site-a: prepare ui-rejected for {world.benchmark.name}"
    _open_form(page, prefect_server.ui_url, run_name)
    _answer(page, "reject", site_code(site_home, pending), "too few cases")
    state = run.state()
    assert state.is_cancelled() and state.name == "Rejected" and "too few cases" in (state.message or "")
    page.goto(f"{prefect_server.ui_url}/runs/flow-run/{pending.flow_run_id}")
    page.locator(".state-badge", has_text="Rejected").first.wait_for()
    assert "Failed" not in page.locator(".state-badge").first.inner_text()
    page.screenshot(path=str(DOCS / "ui-run-rejected.png"))
    assert world.data_owner.datasets.list(benchmark_id=world.benchmark.id).count == 0
