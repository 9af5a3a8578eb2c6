"""The flow tests' raw data (secret ids and values to search for) and suite, on medperf/demo/tiny_world's builder."""

from pathlib import Path
from typing import Any

from medperf.client import RegistryClient
from medperf.demo.tiny_world import TinyBenchmark, tiny_benchmark
from medperf.schemas import ReleasePolicy
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


def write_raw_data(root: Path, n: int, *, bad_sizes: int = 0, id_tail: str = "") -> tuple[Path, Path]:
    """Raw data of n cases (ids 'pt-XXXX-secret' and sizes that must never leave the site).

    Equal raw data and containers are equal step inputs, so a site reuses a step another test ran; a test that
    needs its steps to run gives its cases an id_tail of its own."""
    data, labels = root / "raw", root / "raw_labels"
    data.mkdir(parents=True)
    labels.mkdir(parents=True)
    case_lines, label_lines = ["id,size"], ["id,label"]
    for index in range(n):
        size = 1000 + index if index < bad_sizes else 3 + (index * 7) % 17
        case_lines.append(f"{case_id(index)}{id_tail},{per_case_value(index, size)}")
        label_lines.append(f"{case_id(index)}{id_tail},{int(size > 10)}")
    (data / "cases.csv").write_text("\n".join(case_lines) + "\n")
    (labels / "labels.csv").write_text("\n".join(label_lines) + "\n")
    return data, labels


World = TinyBenchmark  # the flow tests' name for the product's world


def make_benchmark(
    admin: RegistryClient,
    owner: RegistryClient,
    data_owner: RegistryClient,
    store: ObjectStore,
    *,
    policy: ReleasePolicy = POLICY,
    model_parameters: dict[str, Any] | None = None,
) -> World:
    """The tiny containers, a reference model and a benchmark approved by the admin (this file's suite)."""
    return tiny_benchmark(
        admin, owner, data_owner, store, suite=SUITE, policy=policy, model_parameters=model_parameters
    )
