"""evaluate_model against a real Prefect server and registry: approve, crash and re-run, partial results."""

from pathlib import Path

import pytest
from flow_world import associate_dataset, make_benchmark, write_raw_data
from site_flows import approve_next, execute_approved, prepare_approved

from flows.evaluate_model import evaluate_model
from medperf.client import RegistryClient
from medperf.schemas import ResultStatus
from medperf.site.run_store import RunStore
from medperf.storage import ObjectStore

pytestmark = pytest.mark.prefect


def test_rerun_after_a_crash_in_infer_finalizes_exactly_one_result(
    admin: RegistryClient,
    bench_owner: RegistryClient,
    data_owner: RegistryClient,
    store: ObjectStore,
    site_env: dict[str, str],
    site_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data_root = Path(site_env["MEDPERF_SITE_DATA_ROOT"])
    world = make_benchmark(
        admin, bench_owner, data_owner, store, tmp_path, model_parameters={"threshold": 10, "delay_s": 4}
    )
    raw, labels = write_raw_data(tmp_path / "in", 40)
    dataset_id = prepare_approved(data_root, site_home, world.benchmark.id, raw, labels)
    associate_dataset(world, dataset_id)
    model_id = world.reference_model.id

    monkeypatch.setenv("MEDPERF_SITE_TASK_TIMEOUT_SECONDS", "1")  # the model is killed mid-run
    crashed = evaluate_model(
        benchmark_id=world.benchmark.id,
        model_id=model_id,
        dataset_id=dataset_id,
        approval_timeout_s=60,
        return_state=True,
    )
    assert crashed.is_failed()
    assert "step 'infer'" in (crashed.message or "") and "timeout" in (crashed.message or "")
    failure = RunStore(data_root).read(str(crashed.state_details.flow_run_id), "failure.json")
    assert failure is not None and failure["step"] == "infer" and failure["details"]["log"]
    pending = data_owner.results.list(dataset_id=dataset_id)
    assert [item.status for item in pending.items] == [ResultStatus.PENDING]

    monkeypatch.setenv("MEDPERF_SITE_TASK_TIMEOUT_SECONDS", "120")
    state = execute_approved(data_root, site_home, world.benchmark.id, model_id, dataset_id)
    assert state.is_completed(), state.message

    results = data_owner.results.list(dataset_id=dataset_id).items
    assert len(results) == 1 and results[0].id == pending.items[0].id
    assert results[0].status == ResultStatus.FINALIZED and not results[0].partial
    assert results[0].metrics is not None and results[0].metrics["evaluated_cases"] == 40


def test_owner_may_approve_a_partial_result_marked_as_such(
    admin: RegistryClient,
    bench_owner: RegistryClient,
    data_owner: RegistryClient,
    store: ObjectStore,
    site_env: dict[str, str],
    site_home: Path,
    tmp_path: Path,
) -> None:
    data_root = Path(site_env["MEDPERF_SITE_DATA_ROOT"])
    world = make_benchmark(
        admin, bench_owner, data_owner, store, tmp_path, model_parameters={"threshold": 10, "crash": True}
    )
    raw, labels = write_raw_data(tmp_path / "in", 40)
    dataset_id = prepare_approved(data_root, site_home, world.benchmark.id, raw, labels)
    associate_dataset(world, dataset_id)
    state = approve_next(
        evaluate_model,
        data_root,
        site_home,
        benchmark_id=world.benchmark.id,
        model_id=world.reference_model.id,
        dataset_id=dataset_id,
        offer_partial=True,
    )
    assert state.is_completed(), state.message
    (result,) = data_owner.results.list(dataset_id=dataset_id).items
    assert result.partial and result.status == ResultStatus.FINALIZED
    assert result.metrics is not None and result.metrics["evaluated_cases"] == 20
