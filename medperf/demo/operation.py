"""Committee-side registry steps of the demo: approval, associations and the move to OPERATION."""

from collections.abc import Callable

from medperf.bundle import RegisteredBenchmark
from medperf.client import RegistryClient
from medperf.schemas import (
    ApprovalStatus,
    BenchmarkUpdate,
    ContainerUpdate,
    DatasetUpdate,
    EntityState,
    ModelUpdate,
)

Note = Callable[[str], None]


def approve_and_operate(done: RegisteredBenchmark, admin: RegistryClient, owner: RegistryClient,
                        modeller: RegistryClient, note: Note) -> None:
    """Admin approves the benchmark; owners move containers, models and then the benchmark to OPERATION."""
    if done.benchmark.approval_status == ApprovalStatus.PENDING:
        done.benchmark = admin.benchmarks.approve(done.benchmark.id)
    note(f"admin approved benchmark {done.benchmark.id} ({done.benchmark.approval_status.value})")
    for container in (done.prep, done.evaluator):
        if container.state != EntityState.OPERATION:
            owner.containers.update(container.id, ContainerUpdate(state=EntityState.OPERATION))
    for key, model in list(done.models.items()):
        container = modeller.containers.get(model.container_id)
        if container.state != EntityState.OPERATION:
            modeller.containers.update(container.id, ContainerUpdate(state=EntityState.OPERATION))
        if model.state != EntityState.OPERATION:
            done.models[key] = modeller.models.update(model.id, ModelUpdate(state=EntityState.OPERATION))
    if done.benchmark.state != EntityState.OPERATION:
        done.benchmark = owner.benchmarks.update(done.benchmark.id, BenchmarkUpdate(state=EntityState.OPERATION))
    note(f"containers, models and benchmark {done.benchmark.id} are in {done.benchmark.state.value}")


def associate_models(done: RegisteredBenchmark, owner: RegistryClient, modeller: RegistryClient, note: Note) -> None:
    """The model owner asks to join each non-reference model; the benchmark owner approves."""
    for key, model in done.models.items():
        if key == done.reference_model:
            continue
        request = modeller.associations.request_model(done.benchmark.id, model.id)
        if request.approval_status == ApprovalStatus.PENDING:
            request = owner.associations.approve("model", request.id)
        note(f"model {model.name} (id {model.id}): association {request.id} {request.approval_status.value}")


def associate_dataset(benchmark_id: int, dataset_id: int, data_owner: RegistryClient, owner: RegistryClient,
                      note: Note) -> None:
    """The data owner freezes its dataset (OPERATION) and asks to join; the benchmark owner approves."""
    dataset = data_owner.datasets.get(dataset_id)
    if dataset.state != EntityState.OPERATION:
        dataset = data_owner.datasets.update(dataset_id, DatasetUpdate(state=EntityState.OPERATION))
    request = data_owner.associations.request_dataset(benchmark_id, dataset_id)
    if request.approval_status == ApprovalStatus.PENDING:
        request = owner.associations.approve("dataset", request.id)
    note(f"dataset {dataset.name} (id {dataset_id}, {dataset.site}, {dataset.state.value}): "
         f"association {request.id} {request.approval_status.value}")
