"""prepare_dataset against a real Prefect server and registry, with the sandboxed runner and small data."""

import time
from pathlib import Path
from typing import Any

import pytest
from flow_harness import (
    DEADLINE_S,
    FlowThread,
    answer,
    form_description,
    read_run,
    site_code,
    start_flow,
    wait_for_approval_form,
)
from flow_world import World, case_id, make_benchmark, write_raw_data
from prefect.client.schemas.objects import State

from flows.approval import MAX_ANSWERS
from flows.prepare_dataset import prepare_dataset
from medperf.client import RegistryClient
from medperf.schemas import ReleasePolicy
from medperf.site.approval_form import grouped_hash
from medperf.site.dataset_steps import PREPARED_FROM, raw_data_hash
from medperf.site.run_store import PendingApproval, RunStore
from medperf.storage import ObjectStore

pytestmark = pytest.mark.prefect


def data_root(site_env: dict[str, str]) -> Path:
    return Path(site_env["MEDPERF_SITE_DATA_ROOT"])


def known(site_env: dict[str, str]) -> set[str]:
    return {item.flow_run_id for item in RunStore(data_root(site_env)).approvals()}


def start_and_wait_for_form(
    world: World, site_env: dict[str, str], tmp_path: Path, name: str, **options: Any
) -> tuple[FlowThread, PendingApproval]:
    """Raw data of 40 cases; prepare_dataset started in-process; the approval form it stops at."""
    raw, labels = write_raw_data(tmp_path / "in", 40)
    before = known(site_env)
    run = start_flow(
        prepare_dataset, benchmark_id=world.benchmark.id, data_path=str(raw), labels_path=str(labels), name=name,
        **options,
    )  # fmt: skip
    return run, wait_for_approval_form(data_root(site_env), before, run)


def prepare_in_process(world: World, raw: Path, labels: Path, name: str) -> State:
    """prepare_dataset called in-process (as the interactive CLI does) for a run expected to stop before approval."""
    state: State = prepare_dataset(
        benchmark_id=world.benchmark.id,
        data_path=str(raw),
        labels_path=str(labels),
        name=name,
        approval_timeout="60 seconds",
        return_state=True,
    )
    return state


def datasets_of(world: World) -> int:
    return world.data_owner.datasets.list(benchmark_id=world.benchmark.id).count


def test_approved_prepare_uploads_exactly_the_payload_shown(
    world: World, site_env: dict[str, str], site_home: Path, tmp_path: Path
) -> None:
    run, pending = start_and_wait_for_form(world, site_env, tmp_path, "tiny-approved", approval_timeout="60 seconds")
    shown = form_description(pending.flow_run_id)
    assert "| Field | Value |" in shown, "the payload is a readable table in the form itself"
    assert "| statistics.num_cases | 40 |" in shown
    assert f"| benchmark_id | {world.benchmark.name} (id {world.benchmark.id}) |" in shown, "names, not bare ids"
    assert grouped_hash(pending.payload["prepared_data_hash"]) in shown, "hashes are shown whole"
    assert grouped_hash(pending.payload_sha256) in shown
    assert "up to 1 minute" in shown

    answer(pending.flow_run_id, approve=True, code=site_code(site_home, pending), comment="looks fine")
    state = run.state()
    assert state.is_completed(), state.message
    dataset = world.data_owner.datasets.get(state.result())
    assert dataset.statistics == pending.payload["statistics"]
    assert dataset.prepared_data_hash == pending.payload["prepared_data_hash"]
    assert dataset.statistics["num_cases"] == 40
    assert dataset.statistics["sanity"]["expectations_failed"] == 0


def next_form(flow_run_id: str, seen: list[object]) -> None:
    """Poll (with a deadline) until the run waits at a form it has not shown before (a new keyset)."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        state = read_run(flow_run_id).state
        keyset = state.state_details.run_input_keyset if state is not None and state.is_paused() else None
        if keyset and keyset not in seen:
            seen.append(keyset)
            return
        time.sleep(0.3)
    raise AssertionError("the run did not ask again in time")


def test_rejection_uploads_nothing(world: World, site_env: dict[str, str], site_home: Path, tmp_path: Path) -> None:
    run, pending = start_and_wait_for_form(world, site_env, tmp_path, "tiny-no")
    answer(pending.flow_run_id, approve=False, code=site_code(site_home, pending), comment="too few cases")
    state = run.state()
    assert state.is_cancelled() and state.name == "Rejected", "a decision, not a failure"
    assert "rejected the upload" in (state.message or "") and "too few cases" in (state.message or "")
    assert read_run(pending.flow_run_id).name == f"site-a: prepare tiny-no for {world.benchmark.name}"
    assert datasets_of(world) == 0


def test_answers_without_the_site_code_decide_nothing(
    world: World, site_env: dict[str, str], site_home: Path, tmp_path: Path
) -> None:
    """From the shared Prefect UI without the site's code, neither a rejection nor an approval counts."""
    run, pending = start_and_wait_for_form(world, site_env, tmp_path, "tiny-code")
    seen: list[object] = []
    next_form(pending.flow_run_id, seen)
    answer(pending.flow_run_id, approve=False, code="AAAAA-BBBBB")  # a rejection without the code: ignored
    next_form(pending.flow_run_id, seen)
    answer(pending.flow_run_id, approve=True, code="ÄÖÜẞ-١٢٣")  # non-ASCII: a wrong code, not an error
    next_form(pending.flow_run_id, seen)
    answer(pending.flow_run_id, approve=True, code=site_code(site_home, pending))
    state = run.state()
    assert state.is_completed(), state.message
    assert datasets_of(world) == 1


def test_repeated_wrong_codes_end_the_run_uploading_nothing(
    world: World, site_env: dict[str, str], tmp_path: Path
) -> None:
    run, pending = start_and_wait_for_form(world, site_env, tmp_path, "tiny-bad")
    seen: list[object] = []
    for _ in range(MAX_ANSWERS):
        next_form(pending.flow_run_id, seen)
        answer(pending.flow_run_id, approve=True, code="AAAAA-BBBBB")
    state = run.state()
    assert state.is_failed() and state.name == "Unapproved"
    assert "approval code that does not match" in (state.message or "")
    assert "run the flow again" not in (state.message or "")
    assert datasets_of(world) == 0


def test_failing_expectation_stops_before_upload_and_names_it(
    world: World, site_env: dict[str, str], tmp_path: Path
) -> None:
    raw, labels = write_raw_data(tmp_path / "in", 40, bad_sizes=3)
    before = known(site_env)
    state = prepare_in_process(world, raw, labels, "tiny-bad")
    assert state.is_failed()
    assert "expect_column_values_to_be_between(size): 3 cases" in (state.message or "")
    assert case_id(0) not in (state.message or "")
    run_id = str(state.state_details.flow_run_id)
    report = RunStore(data_root(site_env)).read(run_id, "sanity_report.json")
    assert report is not None and case_id(0) in report["failures"][0]["sample_case_ids"]
    assert known(site_env) == before, "no approval may be asked for data that failed its checks"
    assert datasets_of(world) == 0


def test_policy_violation_stops_the_flow(
    admin: RegistryClient,
    bench_owner: RegistryClient,
    data_owner: RegistryClient,
    store: ObjectStore,
    site_env: dict[str, str],
    tmp_path: Path,
) -> None:
    strict = make_benchmark(admin, bench_owner, data_owner, store, policy=ReleasePolicy())
    raw, labels = write_raw_data(tmp_path / "in", 40)
    state = prepare_in_process(strict, raw, labels, "tiny-policy")
    assert state.is_failed()
    assert "statistics keys ['mean_size'] may not leave the site" in (state.message or "")
    assert datasets_of(strict) == 0


def test_cached_prepared_data_is_prepared_again_only_when_changed_on_disk(
    world: World, site_env: dict[str, str], site_home: Path, tmp_path: Path
) -> None:
    def prepared_folders() -> set[Path]:
        return set(data_root(site_env).glob("work/*/*/data"))

    raw, labels = write_raw_data(tmp_path / "in", 40, id_tail="-cached")  # cases no other test prepares
    hashes = []
    folders = [prepared_folders()]
    raws = []
    for name in ("tiny-fresh", "tiny-changed", "tiny-intact", "tiny-other-raw"):
        before = known(site_env)
        run = start_flow(
            prepare_dataset, benchmark_id=world.benchmark.id, data_path=str(raw), labels_path=str(labels), name=name
        )
        pending = wait_for_approval_form(data_root(site_env), before, run)
        hashes.append(pending.payload["prepared_data_hash"])
        raws.append(pending.payload["raw_data_hash"])
        answer(pending.flow_run_id, approve=False, code=site_code(site_home, pending), comment="again")
        assert run.state().is_cancelled()
        folders.append(prepared_folders())
        if name == "tiny-fresh":
            (made,) = folders[1] - folders[0]
            changed = sorted(path for path in made.rglob("*") if path.is_file())[0]
            changed.write_bytes(changed.read_bytes() + b"\n")  # the cached step's output no longer matches its hash
        if name == "tiny-intact":  # as if the raw bytes had changed under equal file stamps
            (made,) = folders[2] - folders[1]
            (made.parent / PREPARED_FROM).write_text("0" * 64 + "\n")
    assert len(folders[1] - folders[0]) == 1, "the first run prepares"
    assert len(folders[2] - folders[1]) == 1, "cached data changed on disk is prepared again"
    assert folders[3] == folders[2], "intact cached data is reused"
    assert len(folders[4] - folders[3]) == 1, "cached data prepared from other raw bytes is prepared again"
    assert hashes[0] == hashes[1] == hashes[2] == hashes[3]
    assert raws == [raw_data_hash(raw, labels)] * 4  # read alongside the container, the same every time
    assert {oct((made.parent / PREPARED_FROM).stat().st_mode & 0o777) for made in folders[4] - folders[0]} == {"0o600"}
