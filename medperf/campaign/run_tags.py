"""Tags that tie a Prefect flow run to its benchmark, model and dataset (ids only, never site data)."""

import re

PREFIX = "medperf"
_TAG = re.compile(rf"^{PREFIX}-(benchmark|model|dataset):(\d+)$")


def run_tags(benchmark_id: int, model_id: int, dataset_id: int, *extra: str) -> list[str]:
    """The tags of an evaluation run, e.g. ["medperf-benchmark:1", "medperf-model:2", "medperf-dataset:3"]."""
    return [
        f"{PREFIX}-benchmark:{benchmark_id}",
        f"{PREFIX}-model:{model_id}",
        f"{PREFIX}-dataset:{dataset_id}",
        *extra,
    ]


def benchmark_tag(benchmark_id: int) -> str:
    """The tag every run of a benchmark carries."""
    return f"{PREFIX}-benchmark:{benchmark_id}"


def parse_run_tags(tags: list[str]) -> dict[str, int]:
    """{"benchmark": 1, "model": 2, "dataset": 3} from a run's tags (other tags are ignored)."""
    found: dict[str, int] = {}
    for tag in tags:
        match = _TAG.match(tag)
        if match:
            found[match.group(1)] = int(match.group(2))
    return found
