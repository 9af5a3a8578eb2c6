"""evaluate_model against a real Prefect server and registry: approve, crash and re-run, partial results."""

from collections.abc import Callable

import pytest
from site_flows import SiteWorld, approve_next, execute_approved

from flows.evaluate_model import evaluate_model
from medperf.client import RegistryClient
from medperf.schemas import ResultStatus
from medperf.site.run_store import RunStore

pytestmark = pytest.mark.prefect


def test_rerun_after_a_crash_in_infer_finalizes_exactly_one_result(
    site_world: Callable[..., SiteWorld], data_owner: RegistryClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = site_world(model_parameters={"threshold": 10, "delay_s": 4})
    dataset_id = site.prepared_dataset()
    model_id = site.model_id

    monkeypatch.setenv("MEDPERF_SITE_TASK_TIMEOUT_SECONDS", "1")  # the model is killed mid-run
    crashed = evaluate_model(
        benchmark_id=site.benchmark_id,
        model_id=model_id,
        dataset_id=dataset_id,
        approval_timeout="60 seconds",
        return_state=True,
    )
    assert crashed.is_failed()
    assert "step 'infer'" in (crashed.message or "") and "timeout" in (crashed.message or "")
    failure = RunStore(site.data_root).read(str(crashed.state_details.flow_run_id), "failure.json")
    assert failure is not None and failure["step"] == "infer" and failure["details"]["log"]
    pending = data_owner.results.list(dataset_id=dataset_id)
    assert [item.status for item in pending.items] == [ResultStatus.PENDING]

    monkeypatch.setenv("MEDPERF_SITE_TASK_TIMEOUT_SECONDS", "120")
    state = execute_approved(site.data_root, site.site_home, site.benchmark_id, model_id, dataset_id)
    assert state.is_completed(), state.message

    results = data_owner.results.list(dataset_id=dataset_id).items
    assert len(results) == 1 and results[0].id == pending.items[0].id
    assert results[0].status == ResultStatus.FINALIZED and not results[0].partial
    assert results[0].metrics is not None and results[0].metrics["evaluated_cases"] == 40


def test_owner_may_approve_a_partial_result_marked_as_such(
    site_world: Callable[..., SiteWorld], data_owner: RegistryClient
) -> None:
    site = site_world(model_parameters={"threshold": 10, "crash": True})
    dataset_id = site.prepared_dataset()
    state = approve_next(
        evaluate_model,
        site.data_root,
        site.site_home,
        benchmark_id=site.benchmark_id,
        model_id=site.model_id,
        dataset_id=dataset_id,
        offer_partial=True,
    )
    assert state.is_completed(), state.message
    (result,) = data_owner.results.list(dataset_id=dataset_id).items
    assert result.partial and result.status == ResultStatus.FINALIZED
    assert result.metrics is not None and result.metrics["evaluated_cases"] == 20
