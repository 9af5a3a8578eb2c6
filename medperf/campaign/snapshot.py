"""Everything the registry knows about one benchmark's campaign, read once: the input of every decision."""

from dataclasses import dataclass, field

from medperf.client import RegistryClient, iter_all
from medperf.schemas import (
    ApprovalStatus,
    AssociationPublic,
    BenchmarkPublic,
    DatasetPublic,
    ModelPublic,
    ResultPublic,
)


@dataclass(frozen=True)
class CampaignSnapshot:
    """A benchmark with its approved models and datasets, their latest associations and all its results."""

    benchmark: BenchmarkPublic
    models: dict[int, ModelPublic]
    datasets: dict[int, DatasetPublic]
    model_associations: dict[int, AssociationPublic] = field(default_factory=dict)
    dataset_associations: dict[int, AssociationPublic] = field(default_factory=dict)
    results: list[ResultPublic] = field(default_factory=list)

    @property
    def sites(self) -> list[str]:
        """The sites (work pools) of the approved datasets, sorted."""
        return sorted({dataset.site for dataset in self.datasets.values()})


def _approved(associations: list[AssociationPublic], key: str) -> dict[int, AssociationPublic]:
    latest: dict[int, AssociationPublic] = {}
    for association in sorted(associations, key=lambda a: (a.created_at, a.id)):
        entity_id = getattr(association, key)
        if entity_id is not None:
            latest[entity_id] = association
    return {k: a for k, a in latest.items() if a.approval_status == ApprovalStatus.APPROVED}


def load_snapshot(client: RegistryClient, benchmark_id: int, *, site: str | None = None) -> CampaignSnapshot:
    """Read the campaign state visible to the caller; with `site`, only the datasets that live there.

    The reference model is always part of the campaign (results for it need no association).
    """
    benchmark = client.benchmarks.get(benchmark_id)
    model_assocs = _approved(
        list(iter_all(client.associations.list, kind="model", benchmark_id=benchmark_id)), "model_id"
    )
    dataset_assocs = _approved(
        list(iter_all(client.associations.list, kind="dataset", benchmark_id=benchmark_id)), "dataset_id"
    )
    model_ids = sorted({benchmark.reference_model_id, *model_assocs})
    models = {model_id: client.models.get(model_id) for model_id in model_ids}
    datasets = {dataset_id: client.datasets.get(dataset_id) for dataset_id in sorted(dataset_assocs)}
    if site is not None:
        datasets = {k: d for k, d in datasets.items() if d.site == site}
    results = list(iter_all(client.results.list, benchmark_id=benchmark_id))
    return CampaignSnapshot(benchmark, models, datasets, model_assocs, dataset_assocs, results)
