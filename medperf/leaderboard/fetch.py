"""Collect a benchmark's declared task and finalized results, models and datasets into a Leaderboard."""

from medperf.client import RegistryClient
from medperf.client.paging import iter_all
from medperf.leaderboard.table import Leaderboard, build_leaderboard
from medperf.schemas import ResultStatus


def fetch_leaderboard(client: RegistryClient, benchmark_id: int, primary_metric: str | None = None) -> Leaderboard:
    """Everything the caller may see of the benchmark's finalized results, ranked by the (declared) primary metric."""
    task = client.benchmarks.get(benchmark_id).task
    results = list(iter_all(client.results.list, benchmark_id=benchmark_id, status=ResultStatus.FINALIZED))
    models = {mid: client.models.get(mid) for mid in {r.model_id for r in results}}
    datasets = {did: client.datasets.get(did) for did in {r.dataset_id for r in results}}
    return build_leaderboard(benchmark_id, results, models, datasets, primary_metric, task)
