"""Builders of registry entities for the client tests (valid payloads, unique names)."""

import itertools
from dataclasses import dataclass
from typing import Any

from medperf.client import RegistryClient
from medperf.schemas import (
    BenchmarkCreate,
    BenchmarkPublic,
    ContainerCreate,
    ContainerPublic,
    DatasetCreate,
    DatasetPublic,
    ModelCreate,
    ModelPublic,
)

_ids = itertools.count()
FIRST_INPUT = {"prepare": "data_path", "infer": "data_path", "evaluate": "predictions"}


def container_config(task: str) -> dict[str, Any]:
    """A MedPerf container_config with one task (prepare, infer or evaluate) reading one input."""
    return {
        "tasks": {
            task: {
                "run_args": {"command": f"python3 /workspace/{task}.py"},
                "input_volumes": {FIRST_INPUT[task]: {"mount_path": "/mlcommons/volumes/in", "type": "directory"}},
                "output_volumes": {"output_path": {"mount_path": "/mlcommons/volumes/out", "type": "directory"}},
            }
        }
    }


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{next(_ids)}"


def container(client: RegistryClient, task: str) -> ContainerPublic:
    """Register a container with a one-task config."""
    payload = ContainerCreate(name=unique(task), config=container_config(task), image=f"medperf/{task}:1.0")
    return client.containers.create(payload)


def model(client: RegistryClient) -> ModelPublic:
    """Register a model on a fresh infer container."""
    return client.models.create(ModelCreate(name=unique("model"), container_id=container(client, "infer").id))


@dataclass(frozen=True)
class BenchmarkSetup:
    """An approved benchmark with its reference model and containers."""

    benchmark: BenchmarkPublic
    reference_model: ModelPublic
    prep: ContainerPublic


def approved_benchmark(owner: RegistryClient, admin: RegistryClient) -> BenchmarkSetup:
    """A benchmark submitted by `owner` and approved by the admin."""
    prep = container(owner, "prepare")
    reference = model(owner)
    evaluator = container(owner, "evaluate")
    created = owner.benchmarks.create(
        BenchmarkCreate(
            name=unique("bench"),
            data_preparation_container_id=prep.id,
            reference_model_id=reference.id,
            evaluator_container_id=evaluator.id,
        )
    )
    return BenchmarkSetup(admin.benchmarks.approve(created.id), reference, prep)


def dataset_request(setup: BenchmarkSetup, *, client_key: str | None = None) -> DatasetCreate:
    """A valid DatasetCreate for the benchmark with hashes no other dataset has."""
    n = next(_ids)
    return DatasetCreate(
        name=unique("data"),
        site="site-a",
        benchmark_id=setup.benchmark.id,
        data_preparation_container_id=setup.prep.id,
        raw_data_hash=f"{n:064x}",
        prepared_data_hash=f"{n + 10**6:064x}",
        statistics={"num_cases": 12},
        client_key=client_key,
    )


def dataset(owner: RegistryClient, setup: BenchmarkSetup) -> DatasetPublic:
    """Register a prepared dataset for the benchmark."""
    return owner.datasets.create(dataset_request(setup))
