"""Which (model, dataset) pairs of a benchmark a campaign runs, and where each one runs."""

from collections.abc import Collection
from dataclasses import dataclass

from medperf.campaign.freshness import StaleReason, stale_reason
from medperf.campaign.snapshot import CampaignSnapshot
from medperf.errors import ConfigError


@dataclass(frozen=True, order=True)
class Pair:
    """One evaluation: a model on a dataset, run on the work pool of the dataset's site."""

    model_id: int
    dataset_id: int
    site: str


@dataclass(frozen=True)
class PlannedRun:
    """A pair to dispatch and why it needs running."""

    pair: Pair
    reason: StaleReason


def approved_pairs(
    snapshot: CampaignSnapshot,
    *,
    models: Collection[int] = (),
    datasets: Collection[int] = (),
) -> list[Pair]:
    """Every approved model x approved dataset, narrowed to the given ids; an id outside the campaign is an error."""
    for wanted, known, what in ((models, snapshot.models, "model"), (datasets, snapshot.datasets, "dataset")):
        unknown = sorted(set(wanted) - set(known))
        if unknown:
            raise ConfigError(
                f"--{what} {unknown[0]} is not an approved {what} of benchmark {snapshot.benchmark.id}; "
                f"associate it first (approved: {sorted(known) or 'none'})"
            )
    return sorted(
        Pair(model_id, dataset_id, dataset.site)
        for model_id in snapshot.models
        if not models or model_id in models
        for dataset_id, dataset in snapshot.datasets.items()
        if not datasets or dataset_id in datasets
    )


def pairs_to_run(
    snapshot: CampaignSnapshot,
    *,
    models: Collection[int] = (),
    datasets: Collection[int] = (),
    in_flight: Collection[tuple[int, int]] = (),
) -> list[PlannedRun]:
    """Approved pairs without a current finalized result and without a run already queued or running."""
    planned = []
    for pair in approved_pairs(snapshot, models=models, datasets=datasets):
        if (pair.model_id, pair.dataset_id) in in_flight:
            continue
        reason = stale_reason(snapshot, pair.model_id, pair.dataset_id)
        if reason is not None:
            planned.append(PlannedRun(pair, reason))
    return planned
