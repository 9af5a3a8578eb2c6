"""Flow: prepare a dataset on the site, check it, summarise it, ask the owner, then register it."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.states import State

from medperf.errors import ConfigError
from medperf.site.entity_refs import EntityRef

ONE_WEEK = "7 days"


def _existing(path: str, what: str) -> Path:
    resolved = Path(path).expanduser().resolve()
    if not resolved.exists():
        raise ConfigError(f"{what} {resolved} does not exist; give the path of the raw {what} on this machine")
    return resolved


@flow(name="prepare_dataset", persist_result=False)
def prepare_dataset(
    benchmark_id: EntityRef, data_path: str, labels_path: str, name: str, approval_timeout: str = ONE_WEEK
) -> int | State[Any]:
    """prepare -> sanity check -> statistics -> release policy -> approval -> upload; returns the dataset id.

    A rejection by the data owner ends the run Cancelled, named "Rejected", uploading nothing.

    Args:
        benchmark_id: The benchmark to prepare the data for: its id in the registry, or its name.
        data_path: The raw data folder on the site machine (never leaves the site).
        labels_path: The raw labels on the site machine: a file (e.g. labels.csv) or a folder.
        name: The dataset's name in the registry (shown to the benchmark committee).
        approval_timeout: How long to wait for the data owner's answer, e.g. "7 days", "36 hours", "90 min".
    """
    # The flow-run process imports these after the run is RUNNING, not while it loads this module (dispatch latency).
    from prefect import get_run_logger
    from prefect.runtime import flow_run

    from blocks.data_site import with_operator_edits
    from flows.approval import approve_then_send
    from flows.run_labels import label_preparation
    from flows.site_run import record_failures, site_task
    from medperf.durations import parse_duration
    from medperf.settings import SiteSettings, default_home
    from medperf.site.connections import site_registry
    from medperf.site.container_fetch import container_key
    from medperf.site.dataset_steps import RawInputs, is_intact, listed_cases, prepared_from, record_prepared_from
    from medperf.site.entity_refs import resolve
    from medperf.site.liveness import running
    from medperf.site.payloads import DatasetPayload, payload_sha256
    from medperf.site.release_policy import check_dataset_payload
    from medperf.site.run_store import SANITY_REPORT, RunStore
    from medperf.site.step_keys import step_key
    from tasks.fetch import fetch_container
    from tasks.prepare import prepare
    from tasks.sanity_check import sanity_check
    from tasks.statistics import statistics

    settings = with_operator_edits(SiteSettings())  # limits and approval wait edited in the UI
    run_id = str(flow_run.id)
    with running(settings.data_root, run_id), record_failures(settings, run_id):  # liveness: the pid on the site
        raw_data, raw_labels = _existing(data_path, "data"), _existing(labels_path, "labels")
        timeout_s = parse_duration(approval_timeout, "approval_timeout")
        with site_registry(default_home()) as registry:
            benchmark = resolve("benchmark", benchmark_id, registry.benchmarks.get, registry.benchmarks.list)
        benchmark_id = benchmark.id
        label_preparation(run_id, settings.name, name, benchmark.name, benchmark_id)
        container, spec = fetch_container(benchmark.data_preparation_container_id, settings)
        ckey = container_key(container)

        # The raw data is listed once. The step is cached by the listed files' stamps, and the raw data is read
        # once, for the payload's raw_data_hash, in a thread while the container runs; a cached step is used
        # only if it was prepared from the same raw bytes.
        raw = RawInputs(raw_data, raw_labels)
        prepare_key = step_key("prepare", ckey, raw.stamp_key())
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="raw-data-hash") as reader:
            raw_hashing = reader.submit(raw.content_hash)
            ran = site_task(prepare, settings)(prepare_key, spec, raw_data, raw_labels, settings, return_state=True)
            prepared = ran.result()
            raw_hash = raw_hashing.result()
        cached = ran.name == "Cached"
        if cached and (prepared_from(prepared) != raw_hash or not is_intact(prepared)):
            get_run_logger().info("cached prepared data changed on disk, or its raw data did; preparing again")
            redo = site_task(prepare, settings).with_options(refresh_cache=True)
            prepared, cached = redo(prepare_key, spec, raw_data, raw_labels, settings), False
        if not cached:
            record_prepared_from(prepared, raw_hash)

        report = RunStore(settings.data_root).run_dir(run_id) / SANITY_REPORT
        sanity_key = step_key("sanity", ckey, prepared.prepared_hash, payload_sha256(benchmark.sanity_suite))
        sanity = site_task(sanity_check, settings)(sanity_key, spec, prepared, benchmark.sanity_suite, report, settings)
        suite_hash = payload_sha256(benchmark.sanity_suite)
        task, k = benchmark.task, benchmark.release_policy.min_cell_count  # the label summary, drift and k
        task_hash = payload_sha256(task.model_dump(mode="json") if task else None)
        stats_key = step_key(
            "statistics", ckey, prepared.prepared_hash, payload_sha256(sanity), suite_hash, task_hash, f"k{k}"
        )
        stats = site_task(statistics, settings)(
            stats_key, spec, prepared, sanity, settings, benchmark.sanity_suite, task, k
        )

        payload = DatasetPayload(
            name=name,
            site=settings.name,
            benchmark_id=benchmark_id,
            data_preparation_container_id=container.id,
            raw_data_hash=raw_hash,
            prepared_data_hash=prepared.prepared_hash,
            statistics=stats,
        )
        _, case_ids = listed_cases(prepared, benchmark.sanity_suite)  # the site's own check; never uploaded
        check_dataset_payload(payload, benchmark.release_policy, case_ids=case_ids, task=task)
        title = f"Register dataset '{name}' at {settings.name} for benchmark '{benchmark.name}'"
        prepared_where = {"data": str(prepared.data), "labels": str(prepared.labels),
                          "metadata": str(prepared.metadata), "prepared_hash": prepared.prepared_hash}
        target = {"client_key": f"prepare-{run_id}", "prepared": prepared_where}  # site-local; never uploaded
        sent = approve_then_send(run_id, title, payload, settings, timeout_s, task, target)
        if isinstance(sent, int):
            get_run_logger().info("dataset %s registered", sent)
        return sent
