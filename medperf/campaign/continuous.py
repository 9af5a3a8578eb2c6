"""Continuous evaluation at one site: every benchmark the site's datasets joined, every pair that went stale."""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from medperf.campaign.pairs import PlannedRun, pairs_to_run
from medperf.campaign.snapshot import load_snapshot
from medperf.client import RegistryClient, iter_all
from medperf.schemas import ApprovalStatus, StandingConsentPublic


@dataclass(frozen=True)
class ContinuousPlan:
    """The stale pairs of one benchmark at the site."""

    benchmark_id: int
    runs: list[PlannedRun]


def site_benchmarks(client: RegistryClient, site: str) -> list[int]:
    """Benchmarks in which a dataset of this site has an approved (latest) association."""
    benchmark_ids: set[int] = set()
    for dataset in iter_all(client.datasets.list, site=site):
        for association in iter_all(client.associations.list, kind="dataset", dataset_id=dataset.id):
            if association.approval_status == ApprovalStatus.APPROVED:
                benchmark_ids.add(association.benchmark_id)
    return sorted(benchmark_ids)


def plan_continuous_runs(
    client: RegistryClient,
    site: str,
    in_flight_of: Callable[[int], Collection[tuple[int, int]]],
    benchmark_ids: Collection[int] = (),
) -> list[ContinuousPlan]:
    """For each benchmark (all of the site's, or those given), the pairs at `site` needing an evaluation."""
    plans = []
    for benchmark_id in sorted(benchmark_ids) or site_benchmarks(client, site):
        snapshot = load_snapshot(client, benchmark_id, site=site)
        runs = pairs_to_run(snapshot, in_flight=in_flight_of(benchmark_id))
        if runs:
            plans.append(ContinuousPlan(benchmark_id, runs))
    return plans


def latest_standing_consent(
    client: RegistryClient, benchmark_id: int, dataset_id: int, now: datetime | None = None
) -> StandingConsentPublic | None:
    """The newest unrevoked, unexpired consent of the data owner for this dataset in this benchmark, or None."""
    moment = now or datetime.now(UTC)
    consents = iter_all(client.consents.list, benchmark_id=benchmark_id, dataset_id=dataset_id, active=True)
    live = [c for c in consents if not c.revoked and _aware(c.expires_at) > moment]
    return max(live, key=lambda c: _aware(c.created_at), default=None)


def has_standing_consent(
    client: RegistryClient, benchmark_id: int, dataset_id: int, now: datetime | None = None
) -> bool:
    """True when the data owner pre-approved uploads for this dataset in this benchmark and it has not expired."""
    return latest_standing_consent(client, benchmark_id, dataset_id, now) is not None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
