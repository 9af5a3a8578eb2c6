"""Egress: no case id, per-case value or container log line is in Prefect, the registry or the store."""

import gzip
import io
import json
import sqlite3
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flow_world import case_id
from prefect.client.orchestration import get_client
from site_flows import SiteWorld, execute_approved

from flows.evaluate_model import evaluate_model
from medperf.cli.local_server import LocalRegistry
from medperf.client import RegistryClient

pytestmark = pytest.mark.prefect
CASES = 30


def _paged(read: Any, page: int = 200) -> Iterator[Any]:
    offset = 0
    while True:
        batch = read(limit=page, offset=offset)
        yield from batch
        if len(batch) < page:
            return
        offset += page


def prefect_text() -> str:
    """Everything the Prefect server holds about runs: runs, task runs, logs, artifacts, run inputs."""
    parts: list[str] = []
    with get_client(sync_client=True) as client:
        runs = list(_paged(client.read_flow_runs))
        for run in runs:
            parts.append(run.model_dump_json())
            inputs = client.filter_flow_run_input(run.id, key_prefix="", limit=1000, exclude_keys=set())
            parts.extend(item.model_dump_json() for item in inputs)
        parts.extend(item.model_dump_json() for item in _paged(client.read_task_runs))
        parts.extend(item.model_dump_json() for item in _paged(client.read_logs))
        parts.extend(item.model_dump_json() for item in client.read_artifacts(limit=200))
    assert runs, "the Prefect server holds no runs: the egress check would prove nothing"
    return "\n".join(parts)


def registry_text(registry: LocalRegistry) -> str:
    """A full SQL dump of the registry database."""
    path = registry.settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        return "\n".join(connection.iterdump())


def store_text(root: Path) -> str:
    """Every object in the store, with the members of tarballs unpacked."""
    parts: list[str] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        parts.append(data.decode("utf-8", errors="replace"))
        if data[:2] == b"\x1f\x8b":
            parts.append(gzip.decompress(data).decode("utf-8", errors="replace"))
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                for member in tar.getmembers():
                    handle = tar.extractfile(member)
                    if handle is not None:
                        parts.append(handle.read().decode("utf-8", errors="replace"))
    return "\n".join(parts)


def test_nothing_per_case_leaves_the_site(
    site_world: Callable[..., SiteWorld], data_owner: RegistryClient, store_root: Path, registry: LocalRegistry
) -> None:
    site = site_world(cases=CASES)
    dataset_id = site.prepared_dataset()
    state = execute_approved(site.data_root, site.site_home, site.benchmark_id, site.model_id, dataset_id)
    assert state.is_completed(), state.message

    sizes = [line.split(",")[1] for line in (site.raw / "cases.csv").read_text().splitlines()[1:]]
    needles = [case_id(i) for i in range(CASES)] + sizes + ["-secret"]
    haystacks = {"prefect": prefect_text(), "registry": registry_text(registry), "store": store_text(store_root)}
    assert str(site.benchmark_id) in haystacks["registry"]
    leaks = {where: [n for n in needles if n in text] for where, text in haystacks.items()}
    assert leaks == {"prefect": [], "registry": [], "store": []}
    # what did leave is the approved payload: the aggregate statistics and the metrics
    assert json.dumps(data_owner.datasets.get(dataset_id).statistics["label_counts"]) != "{}"


def test_a_crashed_model_log_stays_on_the_site(site_world: Callable[..., SiteWorld]) -> None:
    site = site_world(cases=CASES, model_parameters={"threshold": 10, "crash": True})
    dataset_id = site.prepared_dataset()
    state = evaluate_model(
        benchmark_id=site.benchmark_id, model_id=site.model_id, dataset_id=dataset_id, return_state=True
    )
    assert state.is_failed()
    crash_line = f"crashing at case {case_id(CASES // 2)}"
    # the summary names the step, the exit code and where the log is on the site
    message = state.message or ""
    assert "step 'infer'" in message and "exit code 3" in message and "log on this site" in message
    logs = [p for p in (site.data_root / "work").rglob("*.log") if crash_line in p.read_text(errors="replace")]
    assert logs, "the model's log with the crash line must stay on the site"
    assert crash_line not in prefect_text() and case_id(CASES // 2) not in prefect_text()
