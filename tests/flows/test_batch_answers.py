"""Answering a site's batch form as `medperf approve RUN --reject-rows` does: rows rejected, bad rows refused."""

from collections.abc import Callable

import pytest
from flow_harness import form_description, start_flow, wait_for_approval_form
from site_flows import SiteWorld

from flows.evaluate_batch import evaluate_batch
from flows.interactive import submit_decision
from medperf.client import RegistryClient
from medperf.schemas import ResultStatus
from medperf.site.run_store import DECISION, RunStore
from medperf.storage import ObjectStore

pytestmark = pytest.mark.prefect


def test_a_batch_answer_rejects_the_rows_it_names_and_a_row_the_table_lacks_decides_nothing(
    site_world: Callable[..., SiteWorld], data_owner: RegistryClient, store: ObjectStore
) -> None:
    site = site_world()
    dataset_id = site.prepared_dataset()
    second = site.associated_model(store, threshold=14)
    before = {item.flow_run_id for item in RunStore(site.data_root).approvals()}

    run = start_flow(evaluate_batch, benchmark_id=site.benchmark_id,
                     pairs=[[site.model_id, dataset_id], [second, dataset_id]], approval_timeout="300 seconds")
    pending = wait_for_approval_form(site.data_root, before, run)
    assert pending.kind == "results" and [row["model_id"] for row in pending.payload["rows"]] == sorted(
        [site.model_id, second])
    assert "Reject rows" in form_description(pending.flow_run_id)

    said = submit_decision(site.site_home, site.data_root, pending, approve=True, comment="", reject_rows="3")
    assert said == "invalid-rows"  # the table has 2 rows: nothing decided, the form is shown again
    again = wait_for_approval_form(site.data_root, set(), run)
    assert again.flow_run_id == pending.flow_run_id
    rejected_model = pending.payload["rows"][1]["model_id"]
    said = submit_decision(site.site_home, site.data_root, again, approve=True, comment="ok", reject_rows="2")
    assert said == "approved"

    state = run.state()
    assert state.is_completed(), state.message
    finalized = data_owner.results.list(dataset_id=dataset_id, status=ResultStatus.FINALIZED).items
    assert [result.model_id for result in finalized] == [pending.payload["rows"][0]["model_id"]]
    assert all(result.model_id != rejected_model for result in finalized)
    decision = RunStore(site.data_root).read(pending.flow_run_id, DECISION)
    assert decision is not None and decision["comment"] == "ok [rows rejected: 2]"


def test_every_failed_pair_of_a_batch_is_recorded_on_the_site_and_the_others_are_asked_for(
    site_world: Callable[..., SiteWorld], data_owner: RegistryClient, store: ObjectStore
) -> None:
    site = site_world()
    dataset_id = site.prepared_dataset()
    # two models that crash midway, each a container of its own
    crashing = [site.associated_model(store, threshold=threshold, crash=True) for threshold in (3, 5)]
    before = {item.flow_run_id for item in RunStore(site.data_root).approvals()}

    pairs = [[site.model_id, dataset_id], *([model_id, dataset_id] for model_id in crashing)]
    run = start_flow(evaluate_batch, benchmark_id=site.benchmark_id, pairs=pairs, approval_timeout="300 seconds")
    pending = wait_for_approval_form(site.data_root, before, run)
    assert [row["model_id"] for row in pending.payload["rows"]] == [site.model_id]  # the failed pairs are not rows
    assert submit_decision(site.site_home, site.data_root, pending, approve=True, comment="", reject_rows="") == (
        "approved")

    state = run.state()
    assert state.is_failed() and state.name == "Partly failed", (state.name, state.message)
    assert "1 finalized, 0 queued, 0 rejected, 2 failed" in (state.message or "")
    failures = RunStore(site.data_root).failed_pairs(pending.flow_run_id)
    assert sorted((item["model_id"], item["dataset_id"]) for item in failures) == sorted(
        (model_id, dataset_id) for model_id in crashing)  # the second failure did not overwrite the first
    for item in failures:  # the model step's own record: exit code and the log on this site
        assert item["step"] == "infer" and item["details"]["exit_code"] == 3 and item["details"]["log"]
