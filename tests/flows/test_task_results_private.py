"""Task results Prefect persisted for prepare + execute hold no case id, no per-case value, no large object."""

import base64
import json
import pickle
from pathlib import Path

import pytest
from flow_world import World, case_id, per_case_value, write_raw_data
from prefect.client.orchestration import get_client
from prefect.client.schemas.sorting import FlowRunSort
from prefect.settings import PREFECT_LOCAL_STORAGE_PATH
from site_flows import approve_next, prepare_approved

from flows.evaluate_model import evaluate_model
from medperf.demo.tiny_world import associate_dataset
from medperf.site.step_keys import result_dir

pytestmark = pytest.mark.prefect
CASES = 25
MAX_RESULT_BYTES = 64 * 1024  # a result is a path, a hash or a small summary: never the data itself
MAX_PARAMETERS_BYTES = 2048


def _sizes(raw: Path) -> list[str]:
    return [line.split(",")[1] for line in (raw / "cases.csv").read_text().splitlines()[1:]]


def _result_files(data_root: Path) -> set[Path]:
    """Every file in the site's result folder and in Prefect's default local result storage."""
    folders = [result_dir(data_root), Path(PREFECT_LOCAL_STORAGE_PATH.value())]
    return {path for folder in folders if folder.is_dir() for path in folder.rglob("*") if path.is_file()}


def _decoded(content: bytes) -> str:
    """A result file as text to search: a result record's metadata and value, or a bare pickled value (Prefect
    stores a failed task's exception so), and the raw bytes either way."""
    from prefect._internal.result_records import ResultRecord
    from pydantic import ValidationError

    raw = content.decode(errors="replace")
    try:
        record = ResultRecord.deserialize(content)  # type: ignore[var-annotated]
        return record.metadata.model_dump_json() + repr(record.result) + raw
    except ValidationError:
        pass
    try:
        return repr(pickle.loads(base64.b64decode(content))) + raw
    except Exception:  # neither: its bytes alone are searched
        return raw


def _stored_results(paths: list[Path]) -> dict[Path, str]:
    """These result files, decoded (see _decoded)."""
    texts: dict[Path, str] = {}
    for path in paths:
        content = path.read_bytes()
        assert len(content) <= MAX_RESULT_BYTES, f"{path}: {len(content)} bytes persisted as a task result"
        texts[path] = _decoded(content)
    return texts


def test_no_task_result_holds_a_case_id_or_per_case_value(
    world: World, site_env: dict[str, str], site_home: Path, tmp_path: Path
) -> None:
    data_root = Path(site_env["MEDPERF_SITE_DATA_ROOT"])
    earlier = _result_files(data_root)  # the session's other flow tests share the site and Prefect's storage
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

    # The results these two runs persisted, read where Prefect wrote them (the site's result folder; none may
    # land in the default local storage). Read from disk, not from task-run states: the server records those
    # from events, which a loaded server may show only minutes later.
    site_results = result_dir(data_root)
    stored = _stored_results(sorted(_result_files(data_root) - earlier))
    assert all(path.is_relative_to(site_results) for path in stored), sorted(map(str, stored))
    steps = {path.name.split("-", 1)[0]: text for path, text in stored.items()}
    assert set(steps) >= {"prepare", "sanity", "statistics", "infer", "evaluate"}, sorted(steps)
    assert "PreparedDataset(" in steps["prepare"] and "Predictions(" in steps["infer"]  # values decoded
    assert "'accuracy'" in steps["evaluate"]  # the evaluator's aggregate, and only that
    needles = [case_id(i) for i in range(CASES)] + _sizes(raw) + ["-secret"]
    leaks = {str(path): [n for n in needles if n in text] for path, text in stored.items()}
    assert {path: found for path, found in leaks.items() if found} == {}
    assert per_case_value(3, 3 + 21 % 17) in _sizes(raw)  # the needles are the values the site holds
