"""A small real MedPerf world for the flow tests: the tiny containers of medperf/demo/tiny_world, a benchmark."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medperf.client import RegistryClient
from medperf.demo.tiny_world import register_tiny_benchmark
from medperf.schemas import BenchmarkPublic, ModelPublic, ReleasePolicy
from medperf.storage import ObjectStore

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
    """The tiny containers, a reference model and a benchmark approved by the admin (this file's suite)."""
    benchmark, model = register_tiny_benchmark(
        owner, admin, store, work, suite=SUITE, policy=policy, model_parameters=model_parameters
    )
    return World(benchmark, model, owner, data_owner, admin)


def associate_dataset(world: World, dataset_id: int) -> None:
    """The data owner asks to join the benchmark with its dataset; the benchmark owner approves."""
    request = world.data_owner.associations.request_dataset(world.benchmark.id, dataset_id)
    if request.approval_status != "APPROVED":
        world.owner.associations.approve("dataset", request.id)
