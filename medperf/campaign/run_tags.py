"""Tags that tie a Prefect flow run to its benchmark, model and dataset (ids only, never site data)."""

import re

PREFIX = "medperf"
_TAG = re.compile(rf"^{PREFIX}-(benchmark|model|dataset):(\d+)$")
_PAIR = re.compile(rf"^{PREFIX}-pair:(\d+)-(\d+)$")
_ROW = re.compile(rf"^{PREFIX}-(rejected|failed):(\d+)-(\d+)$")
BATCH_TAG = f"{PREFIX}-batch"  # a site's campaign run of several pairs


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


def pair_tag(model_id: int, dataset_id: int) -> str:
    """The tag of one (model, dataset) pair of a site's campaign run, e.g. "medperf-pair:2-3"."""
    return f"{PREFIX}-pair:{model_id}-{dataset_id}"


def batch_tags(benchmark_id: int, pairs: list[tuple[int, int]], *extra: str) -> list[str]:
    """The tags of a site's campaign run: its benchmark, the batch tag and one tag per pair."""
    return [benchmark_tag(benchmark_id), BATCH_TAG, *(pair_tag(m, d) for m, d in pairs), *extra]


def parse_run_pairs(tags: list[str]) -> list[tuple[int, int]]:
    """The (model, dataset) pairs a run evaluates: its pair tags, or its model and dataset tags."""
    pairs = [(int(match.group(1)), int(match.group(2))) for tag in tags if (match := _PAIR.match(tag))]
    ids = parse_run_tags(tags)
    if "model" in ids and "dataset" in ids:
        pairs.append((ids["model"], ids["dataset"]))
    return sorted(set(pairs))


def row_outcome_tag(outcome: str, model_id: int, dataset_id: int) -> str:
    """A batch run's tag for a pair that ended otherwise than the run: "medperf-rejected:2-3", "medperf-failed:2-3"."""
    return f"{PREFIX}-{outcome}:{model_id}-{dataset_id}"


def parse_row_outcomes(tags: list[str]) -> dict[tuple[int, int], str]:
    """{(model, dataset): "rejected" | "failed"} from a batch run's row outcome tags."""
    return {(int(m.group(2)), int(m.group(3))): m.group(1) for tag in tags if (m := _ROW.match(tag))}
