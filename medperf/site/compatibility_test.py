"""`medperf test run`: the benchmark's whole pipeline on its demo data, locally; nothing is uploaded."""

import tempfile
from pathlib import Path
from typing import Any

from medperf.client.registry import RegistryClient
from medperf.containers.factory import make_runner
from medperf.containers.tarball import fetch_tarball
from medperf.errors import ConfigError
from medperf.release_policy import check_metrics, check_statistics
from medperf.schemas import BenchmarkPublic
from medperf.settings import SiteSettings
from medperf.site import dataset_steps, evaluation_steps
from medperf.site.container_fetch import site_container_spec
from medperf.site.container_steps import StepContext
from medperf.site.drift import reference_statistics_of
from medperf.site.release_policy import case_ids_in
from medperf.storage import ObjectStore


def demo_folders(root: Path) -> tuple[Path, Path]:
    """The demo tarball holds data/ and labels/ (at its top or inside one top folder)."""
    for base in (root, *sorted(p for p in root.iterdir() if p.is_dir())):
        if (base / "data").is_dir() and (base / "labels").is_dir():
            return base / "data", base / "labels"
    raise ConfigError(f"demo dataset {root}: needs data/ and labels/ folders; fix the benchmark's demo tarball")


def check_as_the_site_will(
    benchmark: BenchmarkPublic,
    statistics: dict[str, Any],
    metrics: dict[str, Any],
    num_cases: int,
    case_ids: list[str],
) -> None:
    """The release policy exactly as prepare and evaluate apply it, then the declared task against the metrics.

    Raises PolicyViolation (what prepare or evaluate would refuse) or ConfigError (results that break the
    benchmark's `task:` declaration), each one line naming the key.
    """
    check_statistics(statistics, benchmark.release_policy, case_ids=case_ids, task=benchmark.task)
    check_metrics(metrics, benchmark.release_policy, num_cases=num_cases, case_ids=case_ids, task=benchmark.task)
    if benchmark.task is not None:
        problems = benchmark.task.result_problems(metrics)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ConfigError(
                f"benchmark {benchmark.id}: {problems[0]}{more}; the evaluator's results on the demo data do not "
                "fit the declared task: fix the evaluator or the benchmark's task: block"
            )


def run_compatibility_test(
    registry: RegistryClient,
    store: ObjectStore,
    settings: SiteSettings,
    benchmark_id: int,
    model_id: int | None,
    reference: bool = False,
) -> dict[str, Any]:
    """prepare -> sanity (container + GX) -> statistics -> infer -> evaluate on the demo data; a local report.

    The statistics and metrics then go through the same release-policy checks as prepare and evaluate apply
    (with the demo data's case ids) and the metrics through the benchmark's declared task. With reference=True
    the report also carries the demo data's reference statistics (aggregates the sites' drift is scored against).
    """
    benchmark = registry.benchmarks.get(benchmark_id)
    if not (benchmark.demo_dataset_url and benchmark.demo_dataset_sha256):
        raise ConfigError(f"benchmark {benchmark_id} has no demo dataset; the committee must register one")
    model = registry.models.get(model_id or benchmark.reference_model_id)
    specs = {
        "prep": site_container_spec(registry.containers.get(benchmark.data_preparation_container_id), store, settings),
        "model": site_container_spec(registry.containers.get(model.container_id), store, settings),
        "evaluator": site_container_spec(registry.containers.get(benchmark.evaluator_container_id), store, settings),
    }
    runner = make_runner(settings)
    timeout = settings.task_timeout_seconds
    settings.data_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="medperf-test-", dir=settings.data_root) as tmp:
        work = Path(tmp)
        demo = fetch_tarball(store, benchmark.demo_dataset_url, benchmark.demo_dataset_sha256, work / "demo")
        data, labels = demo_folders(demo)
        prep = StepContext(runner, specs["prep"], work / "prepare", timeout)
        prepared = dataset_steps.prepare(prep, data, labels)
        sanity = dataset_steps.sanity_check(prep, prepared, benchmark.sanity_suite, work / "sanity_report.json")
        stats = dataset_steps.statistics(
            StepContext(runner, specs["prep"], work / "stats", timeout), prepared, sanity, benchmark.sanity_suite,
            benchmark.task, benchmark.release_policy.min_cell_count,
        )
        predictions = evaluation_steps.infer(
            StepContext(runner, specs["model"], work / "infer", timeout), prepared.data
        )
        metrics = evaluation_steps.evaluate(
            StepContext(runner, specs["evaluator"], work / "eval", timeout), predictions.path, prepared.labels
        )
        cases = dataset_steps.per_case_table(prepared, benchmark.sanity_suite, summaries=False)
        check_as_the_site_will(benchmark, stats, metrics, len(cases.table), case_ids_in(cases))
        report = {"benchmark_id": benchmark_id, "model_id": model.id, "statistics": stats, "metrics": metrics}
        if reference:
            report["reference_statistics"] = reference_statistics_of(
                prepared.data, prepared.labels, prepared.metadata, benchmark.sanity_suite, benchmark.task
            )
    return report
