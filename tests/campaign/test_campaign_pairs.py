"""Which pairs a campaign dispatches: approved pairs without a current finalized result or a live run."""

import pytest
from campaign_snapshots import dataset, model, result, snapshot

from medperf.campaign.freshness import StaleReason, stale_reason
from medperf.campaign.pairs import Pair, approved_pairs, pairs_to_run
from medperf.errors import ConfigError


def test_every_approved_pair_runs_once_on_its_datasets_site() -> None:
    snap = snapshot([model(1), model(2)], [dataset(11, "site-a"), dataset(12, "site-b")], [])
    planned = pairs_to_run(snap)
    assert [p.pair for p in planned] == [
        Pair(1, 11, "site-a"), Pair(1, 12, "site-b"), Pair(2, 11, "site-a"), Pair(2, 12, "site-b")
    ]
    assert {p.reason for p in planned} == {StaleReason.NO_RESULT}


def test_a_second_campaign_runs_only_pairs_without_a_current_result() -> None:
    done = [result(1, 11), result(1, 12)]
    snap = snapshot([model(1), model(2)], [dataset(11, "site-a"), dataset(12, "site-b")], done)
    assert [p.pair.model_id for p in pairs_to_run(snap)] == [2, 2]


def test_pending_results_and_live_runs_are_not_dispatched_twice() -> None:
    snap = snapshot([model(1)], [dataset(11, "site-a"), dataset(12, "site-b")], [result(1, 11, finalized=None)])
    planned = pairs_to_run(snap, in_flight={(1, 11)})
    assert [p.pair.dataset_id for p in planned] == [12]


def test_new_model_container_makes_the_result_stale() -> None:
    snap = snapshot([model(1), model(2, container_id=555)], [dataset(11, "site-a")], [result(1, 11), result(2, 11)])
    assert stale_reason(snap, 1, 11) is None
    assert stale_reason(snap, 2, 11) is StaleReason.NEW_MODEL_VERSION


def test_new_evaluator_makes_every_result_stale() -> None:
    snap = snapshot([model(1)], [dataset(11, "site-a")], [result(1, 11)], evaluator=91)
    assert stale_reason(snap, 1, 11) is StaleReason.NEW_EVALUATOR


def test_the_latest_finalized_result_decides() -> None:
    old = result(2, 11, finalized=5, model_container=101)
    new = result(2, 11, finalized=50)
    snap = snapshot([model(2)], [dataset(11, "site-a")], [new, old])
    assert stale_reason(snap, 2, 11) is None


def test_filters_narrow_the_campaign_and_unknown_ids_are_named() -> None:
    snap = snapshot([model(1), model(2)], [dataset(11, "site-a"), dataset(12, "site-b")], [])
    assert approved_pairs(snap, models=[2], datasets=[12]) == [Pair(2, 12, "site-b")]
    with pytest.raises(ConfigError, match="--model 9 is not an approved model of benchmark 7"):
        approved_pairs(snap, models=[9])
