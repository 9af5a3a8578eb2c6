"""A small real MedPerf world for the flow tests: registry users, uploaded fixture containers, a benchmark."""

import itertools
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from medperf.client import RegistryClient
from medperf.schemas import (
    BenchmarkCreate,
    BenchmarkPublic,
    ContainerCreate,
    ContainerPublic,
    ModelCreate,
    ModelPublic,
    ReleasePolicy,
)
from medperf.storage import ObjectStore

FIXTURES = Path(__file__).parent / "fixtures"
_names = itertools.count()

SUITE: dict[str, Any] = {
    "name": "tiny-sanity",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "case_id"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "case_id"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "label", "value_set": [0, 1]}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "size", "min_value": 0, "max_value": 100}},
    ],
}
POLICY = ReleasePolicy(allowed_statistics_keys=["num_cases", "label_counts", "sanity", "mean_size"])


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{next(_names)}"


def case_id(index: int) -> str:
    """A case id that must never leave the site."""
    return f"pt-{index:04d}-secret"


def per_case_value(index: int, size: int) -> str:
    """A per-case value with a recognisable tail (…0NNNN7) to search for in everything that left."""
    return f"{size}.0{index:04d}7"


def write_raw_data(root: Path, n: int, *, bad_sizes: int = 0) -> tuple[Path, Path]:
    """Raw data of n cases (ids 'pt-XXXX-secret' and sizes that must never leave the site)."""
    data, labels = root / "raw", root / "raw_labels"
    data.mkdir(parents=True)
    labels.mkdir(parents=True)
    case_lines, label_lines = ["id,size"], ["id,label"]
    for index in range(n):
        size = 1000 + index if index < bad_sizes else 3 + (index * 7) % 17
        case_lines.append(f"{case_id(index)},{per_case_value(index, size)}")
        label_lines.append(f"{case_id(index)},{int(size > 10)}")
    (data / "cases.csv").write_text("\n".join(case_lines) + "\n")
    (labels / "labels.csv").write_text("\n".join(label_lines) + "\n")
    return data, labels


def upload_container(
    client: RegistryClient, store: ObjectStore, project: str, work: Path, parameters: dict[str, Any] | None = None
) -> ContainerPublic:
    """Pack a fixture project as its source archive, put it in the store and register the container."""
    folder = FIXTURES / project
    archive = work / f"{unique(project)}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(folder.iterdir()):
            tar.add(path, arcname=path.name)
    stored = store.put_file(archive)
    return client.containers.create(
        ContainerCreate(
            name=unique(project),
            config=yaml.safe_load((folder / "container_config.yaml").read_text()),
            parameters=parameters,
            image=f"medperf/tiny-{project}:1.0",
            source_archive_url=stored.url,
            source_archive_sha256=stored.sha256,
        )
    )


@dataclass(frozen=True)
class World:
    """One approved benchmark with its reference model, seen by its owner and by a data owner."""

    benchmark: BenchmarkPublic
    reference_model: ModelPublic
    owner: RegistryClient
    data_owner: RegistryClient
    admin: RegistryClient


def make_benchmark(
    admin: RegistryClient,
    owner: RegistryClient,
    data_owner: RegistryClient,
    store: ObjectStore,
    work: Path,
    *,
    policy: ReleasePolicy = POLICY,
    model_parameters: dict[str, Any] | None = None,
) -> World:
    """Register fixture containers, a reference model and a benchmark, approved by the admin."""
    prep = upload_container(owner, store, "prep", work)
    model_container = upload_container(owner, store, "model", work, model_parameters or {"threshold": 10})
    evaluator = upload_container(owner, store, "evaluator", work)
    model = owner.models.create(ModelCreate(name=unique("ref"), container_id=model_container.id))
    created = owner.benchmarks.create(
        BenchmarkCreate(
            name=unique("bench"),
            data_preparation_container_id=prep.id,
            reference_model_id=model.id,
            evaluator_container_id=evaluator.id,
            sanity_suite=SUITE,
            release_policy=policy,
        )
    )
    return World(admin.benchmarks.approve(created.id), model, owner, data_owner, admin)


def associate_dataset(world: World, dataset_id: int) -> None:
    """The data owner asks to join the benchmark with its dataset; the benchmark owner approves."""
    request = world.data_owner.associations.request_dataset(world.benchmark.id, dataset_id)
    if request.approval_status != "APPROVED":
        world.owner.associations.approve("dataset", request.id)
