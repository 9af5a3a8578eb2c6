"""`medperf test run`: the benchmark's whole pipeline on its demo data, locally; nothing is uploaded."""

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medperf.client.registry import RegistryClient
from medperf.containers.factory import make_runner
from medperf.containers.tarball import fetch_tarball
from medperf.errors import ConfigError
from medperf.release_policy import check_metrics, check_statistics
from medperf.schemas import ContainerPublic, ReleasePolicy
from medperf.schemas.task import TaskDeclaration
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


@dataclass(frozen=True)
class DemoPipeline:
    """What the demo-data pipeline needs: a benchmark's rules and its three containers, registered or not yet.

    `label` names the benchmark in messages ("benchmark 3", or the benchmark.yaml being submitted).
    """

    label: str
    demo_dataset_url: str
    demo_dataset_sha256: str
    sanity_suite: dict[str, Any] | None
    release_policy: ReleasePolicy
    task: TaskDeclaration | None
    prep: ContainerPublic
    model: ContainerPublic
    evaluator: ContainerPublic


def check_as_the_site_will(
    pipeline: DemoPipeline,
    statistics: dict[str, Any],
    metrics: dict[str, Any],
    num_cases: int,
    case_ids: list[str],
) -> None:
    """The release policy exactly as prepare and evaluate apply it, then the declared task against the metrics.

    Raises PolicyViolation (what prepare or evaluate would refuse) or ConfigError (results that break the
    benchmark's `task:` declaration), each one line naming the key.
    """
    check_statistics(statistics, pipeline.release_policy, case_ids=case_ids, task=pipeline.task)
    check_metrics(metrics, pipeline.release_policy, num_cases=num_cases, case_ids=case_ids, task=pipeline.task)
    if pipeline.task is not None:
        problems = pipeline.task.result_problems(metrics)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ConfigError(
                f"{pipeline.label}: {problems[0]}{more}; the evaluator's results on the demo data do not "
                "fit the declared task: fix the evaluator or the benchmark's task: block"
            )


def run_demo_pipeline(
    pipeline: DemoPipeline, store: ObjectStore, settings: SiteSettings, reference: bool = False
) -> dict[str, Any]:
    """prepare -> sanity (container + GX) -> statistics -> infer -> evaluate (+ subgroups) on the demo data.

    The statistics and metrics then go through the same release-policy checks as prepare and evaluate apply
    (with the demo data's case ids) and the metrics through the declared task. Returns the local report:
    statistics and metrics, and with reference=True the demo data's reference statistics (aggregates the
    sites' drift is scored against).
    """
    specs = {role: site_container_spec(getattr(pipeline, role), store, settings)
             for role in ("prep", "model", "evaluator")}
    runner = make_runner(settings)
    timeout = settings.task_timeout_seconds
    settings.data_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="medperf-test-", dir=settings.data_root) as tmp:
        work = Path(tmp)
        demo = fetch_tarball(store, pipeline.demo_dataset_url, pipeline.demo_dataset_sha256, work / "demo")
        data, labels = demo_folders(demo)
        prep = StepContext(runner, specs["prep"], work / "prepare", timeout)
        prepared = dataset_steps.prepare(prep, data, labels)
        sanity = dataset_steps.sanity_check(prep, prepared, pipeline.sanity_suite, work / "sanity_report.json")
        stats = dataset_steps.statistics(
            StepContext(runner, specs["prep"], work / "stats", timeout), prepared, sanity, pipeline.sanity_suite,
            pipeline.task, pipeline.release_policy.min_cell_count,
        )
        predictions = evaluation_steps.infer(
            StepContext(runner, specs["model"], work / "infer", timeout), prepared.data
        )
        cases = dataset_steps.per_case_table(prepared, pipeline.sanity_suite, summaries=False)
        metrics = evaluation_steps.evaluate_with_subgroups(  # subgroups too, as execute runs them
            StepContext(runner, specs["evaluator"], work / "eval", timeout), predictions.path, prepared.labels,
            cases, pipeline.task, pipeline.release_policy.min_cell_count,
        )
        check_as_the_site_will(pipeline, stats, metrics, len(cases.table), case_ids_in(cases))
        report: dict[str, Any] = {"statistics": stats, "metrics": metrics}
        if reference:
            report["reference_statistics"] = reference_statistics_of(
                prepared.data, prepared.labels, prepared.metadata, pipeline.sanity_suite, pipeline.task
            )
    return report


def demo_data_check(store: ObjectStore, settings: SiteSettings) -> Callable[[DemoPipeline], None]:
    """What `submit-folder` runs before registering: run_demo_pipeline on this machine, its report dropped."""

    def check(pipeline: DemoPipeline) -> None:
        run_demo_pipeline(pipeline, store, settings)

    return check


def run_compatibility_test(
    registry: RegistryClient,
    store: ObjectStore,
    settings: SiteSettings,
    benchmark_id: int,
    model_id: int | None,
    reference: bool = False,
) -> dict[str, Any]:
    """`medperf test run`: the registered benchmark's pipeline on its demo data (run_demo_pipeline); a local report."""
    benchmark = registry.benchmarks.get(benchmark_id)
    if not (benchmark.demo_dataset_url and benchmark.demo_dataset_sha256):
        raise ConfigError(f"benchmark {benchmark_id} has no demo dataset; the committee must register one")
    model = registry.models.get(model_id or benchmark.reference_model_id)
    pipeline = DemoPipeline(
        label=f"benchmark {benchmark_id}",
        demo_dataset_url=benchmark.demo_dataset_url,
        demo_dataset_sha256=benchmark.demo_dataset_sha256,
        sanity_suite=benchmark.sanity_suite,
        release_policy=benchmark.release_policy,
        task=benchmark.task,
        prep=registry.containers.get(benchmark.data_preparation_container_id),
        model=registry.containers.get(model.container_id),
        evaluator=registry.containers.get(benchmark.evaluator_container_id),
    )
    report = run_demo_pipeline(pipeline, store, settings, reference)
    return {"benchmark_id": benchmark_id, "model_id": model.id, **report}
