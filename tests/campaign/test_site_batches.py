"""A site's campaign run of several pairs: its tags, how the campaign reads each pair of it, its form."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from prefect.client.schemas.objects import FlowRun, State, StateType

from medperf.campaign.cells import CellStatus, status_of_run
from medperf.campaign.prefect_runs import pair_state
from medperf.campaign.run_tags import batch_tags, parse_row_outcomes, parse_run_pairs, row_outcome_tag, run_tags
from medperf.schemas.task import MetricSpec, TaskDeclaration, TaskKind
from medperf.site.approval_form import batch_table, form_description, parse_rows
from medperf.site.payloads import BatchPayload, ResultPayload, payload_digest


def _run(tags: list[str], state: StateType = StateType.COMPLETED, name: str = "Completed") -> FlowRun:
    return FlowRun(id=uuid4(), flow_id=uuid4(), name="run", tags=tags, created=datetime.now(UTC),
                   state=State(type=state, name=name))


def test_a_batch_run_stands_for_each_of_its_pairs_and_a_single_run_for_its_one() -> None:
    assert parse_run_pairs(batch_tags(1, [(2, 3), (4, 3)], "medperf-site:a")) == [(2, 3), (4, 3)]
    assert parse_run_pairs(run_tags(1, 2, 3)) == [(2, 3)]
    assert parse_run_pairs(["medperf-benchmark:1", "other"]) == []


def test_a_rejected_or_failed_row_shows_as_such_and_the_others_as_the_run() -> None:
    rows = [row_outcome_tag("rejected", 4, 3), row_outcome_tag("failed", 5, 3)]
    tags = [*batch_tags(1, [(2, 3), (4, 3), (5, 3)]), *rows]
    assert parse_row_outcomes(tags) == {(4, 3): "rejected", (5, 3): "failed"}
    run = _run(tags)
    assert status_of_run(pair_state(run, (2, 3))) is CellStatus.DONE
    assert status_of_run(pair_state(run, (4, 3))) is CellStatus.REJECTED
    assert status_of_run(pair_state(run, (5, 3))) is CellStatus.FAILED
    waiting = _run(batch_tags(1, [(2, 3)]), StateType.PAUSED, "Suspended")
    assert status_of_run(pair_state(waiting, (2, 3))) is CellStatus.AWAITING_APPROVAL


def _batch() -> BatchPayload:
    rows = tuple(ResultPayload(benchmark_id=1, model_id=m, dataset_id=3, metrics={"auc": 0.5 + m / 100, "n": 40})
                 for m in (2, 4))
    return BatchPayload(benchmark_id=1, rows=rows)


def test_the_form_numbers_every_row_with_its_names_and_metrics_and_says_how_to_reject_rows() -> None:
    table = batch_table(_batch(), {"model_id:2": "logreg", "dataset_id:3": "hospital-a"})
    lines = table.splitlines()
    assert lines[0] == "| Row | Model | Dataset | auc | n |"
    assert lines[2] == "| 1 | logreg (id 2) | hospital-a (id 3) | 0.52 | 40 |"
    assert lines[3] == "| 2 | id 4 | hospital-a (id 3) | 0.54 | 40 |"
    text = form_description("2 results", _batch(), {})
    assert "Reject rows" in text and payload_digest(_batch())[:16] in text


def test_each_rows_subgroups_get_a_table_of_their_own_under_the_batch_and_no_column_each() -> None:
    task = TaskDeclaration(kind=TaskKind.BINARY, metrics=[MetricSpec(name="auc", direction="higher", range=(0, 1))],
                           primary_metric="auc", subgroups=["sex"])
    subgroups = {"sex=F": {"auc": 0.61, "num_cases": 30}, "sex=M": None}  # M: below k, suppressed
    rows = (ResultPayload(benchmark_id=1, model_id=2, dataset_id=3, metrics={"auc": 0.7, "subgroups": subgroups}),
            ResultPayload(benchmark_id=1, model_id=4, dataset_id=3, metrics={"auc": 0.8}))
    batch = BatchPayload(benchmark_id=1, rows=rows)
    names = {"model_id:2": "logreg", "dataset_id:3": "hospital-a"}
    assert batch_table(batch, names).splitlines()[0] == "| Row | Model | Dataset | auc |"  # no subgroup columns
    text = form_description("2 results", batch, names, task=task)
    heading = "### Subgroups of row 1: logreg on hospital-a (below k: suppressed, nothing released)"
    assert heading in text and "Subgroups of row 2" not in text  # row 2 has none
    table = text.split(heading, 1)[1]
    assert "| sex=F | 30 | 0.61 | released |" in table and "| sex=M |  |  | suppressed (< k) |" in table


def test_rows_to_reject_are_row_numbers_of_the_batch() -> None:
    assert parse_rows("", 3) == frozenset()
    assert parse_rows("2, 3 1", 3) == {1, 2, 3}
    for bad in ("0", "4", "two", "1.5"):
        with pytest.raises(ValueError, match="reject_rows"):
            parse_rows(bad, 3)


def test_each_row_hashes_as_the_single_result_it_is_uploaded_as() -> None:
    batch = _batch()
    assert payload_digest(batch) != payload_digest(batch.rows[0])
    single = ResultPayload(benchmark_id=1, model_id=2, dataset_id=3, metrics={"auc": 0.52, "n": 40})
    assert payload_digest(batch.rows[0]) == payload_digest(single)  # what a single run's approval covers
