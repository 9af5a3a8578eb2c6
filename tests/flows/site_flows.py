"""Run the site flows end to end as the data owner would, answering the approval form via the API."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flow_harness import answer, site_code, start_flow, wait_for_approval_form
from flow_world import World
from prefect.client.schemas.objects import State

from flows.evaluate_model import evaluate_model
from flows.prepare_dataset import prepare_dataset
from medperf.demo.tiny_world import associate_dataset, unique, upload_container
from medperf.schemas import ModelCreate
from medperf.site.run_store import RunStore
from medperf.storage import ObjectStore


def approve_next(flow: Any, data_root: Path, site_home: Path, **parameters: Any) -> State:
    """Start the flow in-process, approve its payload with the site's code, return its final state."""
    before = {item.flow_run_id for item in RunStore(data_root).approvals()}
    run = start_flow(flow, **parameters)
    pending = wait_for_approval_form(data_root, before, run)
    answer(pending.flow_run_id, approve=True, code=site_code(site_home, pending), comment="ok")
    return run.state()


def prepare_approved(data_root: Path, site_home: Path, benchmark_id: int, raw: Path, labels: Path) -> int:
    """A dataset prepared and approved on the site; returns its registry id."""
    state = approve_next(
        prepare_dataset,
        data_root,
        site_home,
        benchmark_id=benchmark_id,
        data_path=str(raw),
        labels_path=str(labels),
        name="tiny-data",
    )
    assert state.is_completed(), state.message
    return int(state.result(_sync=True))  # type: ignore[call-overload]  # sync even where a loop runs (Playwright)


def execute_approved(data_root: Path, site_home: Path, benchmark_id: int, model_id: int, dataset_id: int) -> State:
    """An evaluation approved on the site; returns its final state."""
    return approve_next(
        evaluate_model, data_root, site_home, benchmark_id=benchmark_id, model_id=model_id, dataset_id=dataset_id
    )


@dataclass(frozen=True)
class SiteWorld:
    """An approved benchmark, raw data of the site, and the site's folders: where an evaluation test starts."""

    world: World
    data_root: Path
    site_home: Path
    raw: Path
    labels: Path

    @property
    def benchmark_id(self) -> int:
        """The benchmark's id."""
        return self.world.benchmark.id

    @property
    def model_id(self) -> int:
        """The benchmark's reference model's id."""
        return self.world.reference_model.id

    def prepared_dataset(self) -> int:
        """Prepare the raw data on the site (approved), associate the dataset with the benchmark; its id."""
        dataset_id = prepare_approved(self.data_root, self.site_home, self.benchmark_id, self.raw, self.labels)
        associate_dataset(self.world, dataset_id)
        return dataset_id

    def associated_model(self, store: ObjectStore, **parameters: Any) -> int:
        """Register one more model (the tiny model with these parameters, a container of its own) and associate
        it with the benchmark (the committee owns both: approved at once); its id."""
        owner = self.world.owner
        container = upload_container(owner, store, "model", {**parameters, "name": unique("p")})
        model = owner.models.create(ModelCreate(name=unique("model"), container_id=container.id))
        owner.associations.request_model(self.benchmark_id, model.id)
        return model.id
