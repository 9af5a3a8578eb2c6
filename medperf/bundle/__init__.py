"""Registering a benchmark folder (benchmark.yaml + container projects) with the registry and the object store."""

from medperf.bundle.benchmark_file import BenchmarkFile, load_benchmark_file
from medperf.bundle.container_project import ContainerProject, load_container_project
from medperf.bundle.register import BundleIdentities, RegisteredBenchmark, register_benchmark_folder

__all__ = [
    "BenchmarkFile",
    "BundleIdentities",
    "ContainerProject",
    "RegisteredBenchmark",
    "load_benchmark_file",
    "load_container_project",
    "register_benchmark_folder",
]
