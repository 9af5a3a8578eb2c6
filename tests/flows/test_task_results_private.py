"""Task results Prefect persisted for prepare + execute hold no case id, no per-case value, no large object."""

import json
import time
from pathlib import Path
from uuid import UUID

import pytest
from flow_world import associate_dataset, case_id, make_benchmark, per_case_value, write_raw_data
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import TaskRun
from prefect.client.schemas.sorting import FlowRunSort
from prefect.settings import PREFECT_LOCAL_STORAGE_PATH
from site_flows import approve_next, prepare_approved

from flows.evaluate_model import evaluate_model
from medperf.client import RegistryClient
from medperf.site.step_keys import result_dir
from medperf.storage import ObjectStore

pytestmark = pytest.mark.prefect
CASES = 25
MAX_RESULT_BYTES = 64 * 1024  # a result is a path, a hash or a small summary: never the data itself
MAX_PARAMETERS_BYTES = 2048


def _sizes(raw: Path) -> list[str]:
    return [line.split(",")[1] for line in (raw / "cases.csv").read_text().splitlines()[1:]]


def _task_runs(flow_run_ids: list[UUID], wanted: set[str], deadline_s: float = 90.0) -> list[TaskRun]:
    """The task runs of these flow runs, waiting (with a deadline) until the wanted ones have persisted results:
    Prefect 3 records task-run states from events, so a busy server shows them a little after the flow ends."""
    deadline = time.monotonic() + deadline_s
    while True:
        with get_client(sync_client=True) as client:
            flow_filter = FlowRunFilter(id=FlowRunFilterId(any_=flow_run_ids))
            runs = client.read_task_runs(flow_run_filter=flow_filter, limit=200)
        persisted = {t.name.rsplit("-", 1)[0] for t in runs if t.state is not None and t.state.data is not None}
        if persisted >= wanted or time.monotonic() > deadline:
            return runs
        time.sleep(1.0)


def _stored_results(folders: list[Path]) -> dict[Path, str]:
    """Every result file Prefect wrote, decoded: the record's metadata and a repr of the value it holds."""
    from prefect._internal.result_records import ResultRecord

    texts: dict[Path, str] = {}
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            content = path.read_bytes()
            assert len(content) <= MAX_RESULT_BYTES, f"{path}: {len(content)} bytes persisted as a task result"
            record = ResultRecord.deserialize(content)  # type: ignore[var-annotated]
            texts[path] = record.metadata.model_dump_json() + repr(record.result) + content.decode(errors="replace")
    return texts


def test_no_task_result_holds_a_case_id_or_per_case_value(
    admin: RegistryClient,
    bench_owner: RegistryClient,
    data_owner: RegistryClient,
    store: ObjectStore,
    site_env: dict[str, str],
    site_home: Path,
    tmp_path: Path,
) -> None:
    data_root = Path(site_env["MEDPERF_SITE_DATA_ROOT"])
    world = make_benchmark(admin, bench_owner, data_owner, store, tmp_path)
    raw, labels = write_raw_data(tmp_path / "in", CASES)
    dataset_id = prepare_approved(data_root, site_home, world.benchmark.id, raw, labels)
    associate_dataset(world, dataset_id)
    state = approve_next(
        evaluate_model,
        data_root,
        site_home,
        benchmark_id=world.benchmark.id,
        model_id=world.reference_model.id,
        dataset_id=dataset_id,
    )
    assert state.is_completed(), state.message

    with get_client(sync_client=True) as client:  # newest first: the session's server holds many runs
        recent = client.read_flow_runs(limit=200, sort=FlowRunSort.EXPECTED_START_TIME_DESC)
    runs = [run for run in recent if run.parameters.get("dataset_id") == dataset_id]
    runs += [run for run in recent if str(raw) == run.parameters.get("data_path")]
    assert {run.flow_id for run in runs} and len(runs) == 2, "the prepare and the execute run must both be found"
    for run in runs:
        assert len(json.dumps(run.parameters)) <= MAX_PARAMETERS_BYTES, run.parameters

    task_runs = _task_runs([run.id for run in runs], {"prepare", "infer", "evaluate"})
    persisted = [t for t in task_runs if t.state is not None and t.state.data is not None]
    assert {t.name.rsplit("-", 1)[0] for t in persisted} >= {"prepare", "infer", "evaluate"}, [
        t.name for t in task_runs
    ]
    site_results = result_dir(data_root)
    for task_run in persisted:
        assert task_run.state is not None
        storage_key = Path(str(task_run.state.data.storage_key))  # type: ignore[union-attr]
        assert storage_key.is_relative_to(site_results), f"{task_run.name}: result stored at {storage_key}"

    stored = _stored_results([site_results, Path(PREFECT_LOCAL_STORAGE_PATH.value())])
    assert len(stored) >= len({t.state.data.storage_key for t in persisted}) > 0  # type: ignore[union-attr]
    assert any("PreparedDataset(" in text for text in stored.values())  # the values were decoded and searched
    needles = [case_id(i) for i in range(CASES)] + _sizes(raw) + ["-secret"]
    api_text = "\n".join(t.model_dump_json() for t in task_runs)
    leaks = {str(path): [n for n in needles if n in text] for path, text in stored.items()}
    assert {path: found for path, found in leaks.items() if found} == {}
    assert [n for n in needles if n in api_text] == []
    assert per_case_value(3, 3 + 21 % 17) in _sizes(raw)  # the needles are the values the site holds
