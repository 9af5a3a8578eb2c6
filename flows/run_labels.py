"""Name and tag a site flow run by what it does, so a run from the CLI, the UI or a schedule reads the same."""

from collections.abc import Iterable
from uuid import UUID

from prefect.client.orchestration import get_client

from medperf.campaign.run_tags import benchmark_tag, run_tags

SITE_TAG = "medperf-site"


def label_run(flow_run_id: str, name: str, tags: Iterable[str]) -> None:
    """Rename the run and add the tags (kept: the tags it was started with)."""
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(flow_run_id))
        client.update_flow_run(UUID(flow_run_id), name=name, tags=sorted({*run.tags, *tags}))


def label_evaluation(flow_run_id: str, site: str, model: str, dataset: str, ids: tuple[int, int, int]) -> None:
    """"site-a: evaluate logreg on hospital-a", tagged with its benchmark, model and dataset ids.

    The tags make the run the pair's run to a campaign however it was started (no duplicate dispatch).
    """
    benchmark_id, model_id, dataset_id = ids
    tags = run_tags(benchmark_id, model_id, dataset_id, f"{SITE_TAG}:{site}")
    label_run(flow_run_id, f"{site}: evaluate {model} on {dataset}", tags)


def label_preparation(flow_run_id: str, site: str, dataset: str, benchmark: str, benchmark_id: int) -> None:
    """"site-a: prepare hospital-a for chest-xray", tagged with its benchmark."""
    tags = [benchmark_tag(benchmark_id), f"{SITE_TAG}:{site}", "medperf-step:prepare"]
    label_run(flow_run_id, f"{site}: prepare {dataset} for {benchmark}", tags)
