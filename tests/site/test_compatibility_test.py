"""`medperf test run` refuses what prepare and evaluate would refuse, and results that break the declared task."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from medperf.bundle import BundleIdentities, register_benchmark_folder
from medperf.cli.local_server import local_registry
from medperf.client import RegistryClient
from medperf.errors import ConfigError, PolicyViolation
from medperf.schemas import BenchmarkUpdate, UserCreate
from medperf.schemas.task import TaskDeclaration
from medperf.server.admin import create_admin
from medperf.settings import SiteSettings
from medperf.site.compatibility_test import run_compatibility_test
from medperf.storage.local_folder import LocalFolderStore

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "breast_cancer"
DIABETES = EXAMPLE.parent / "diabetes"


@dataclass
class Registered:
    owner: RegistryClient
    store: LocalFolderStore
    settings: SiteSettings
    benchmark_id: int


@contextmanager
def _registered(root: Path, example: Path) -> Iterator[Registered]:
    """An example folder registered in a real local registry; one site folder (its env cache reused)."""
    with local_registry(root / "registry") as server:
        admin = RegistryClient(server.url, create_admin(server.settings, "admin@example.org", "Admin"))
        user = admin.users.create(UserCreate(email=f"owner-{uuid.uuid4().hex[:6]}@example.org", name="owner"))
        owner = RegistryClient(server.url, admin.tokens.create(user.id).token)
        store = LocalFolderStore(root / "store", root / "cache")
        done = register_benchmark_folder(example, BundleIdentities(owner, owner), store)
        settings = SiteSettings(allow_unisolated=True, task_timeout_seconds=600, data_root=root / "site")
        yield Registered(owner, store, settings, done.benchmark.id)
        owner.close()
        admin.close()


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registered]:
    """The breast-cancer folder, registered."""
    with _registered(tmp_path_factory.mktemp("compat"), EXAMPLE) as done:
        yield done


def _run(reg: Registered) -> dict[str, object]:
    return run_compatibility_test(reg.owner, reg.store, reg.settings, reg.benchmark_id, None)


def test_the_example_passes_with_its_own_policy_and_declaration(registered: Registered) -> None:
    report = _run(registered)
    metrics = report["metrics"]
    assert isinstance(metrics, dict) and metrics["num_cases"] == 30 and 0.8 < metrics["auc"] <= 1.0


def test_statistics_the_policy_refuses_at_prepare_fail_the_test_run(registered: Registered) -> None:
    benchmark = registered.owner.benchmarks.get(registered.benchmark_id)
    narrow = benchmark.release_policy.model_copy(
        update={"allowed_statistics_keys": [k for k in benchmark.release_policy.allowed_statistics_keys
                                            if k != "features"]}
    )
    registered.owner.benchmarks.update(registered.benchmark_id, BenchmarkUpdate(release_policy=narrow))
    try:
        with pytest.raises(PolicyViolation, match=r"statistics keys \['features'\] may not leave the site"):
            _run(registered)
    finally:
        registered.owner.benchmarks.update(
            registered.benchmark_id, BenchmarkUpdate(release_policy=benchmark.release_policy)
        )


def test_metrics_that_break_the_declared_task_fail_the_test_run(registered: Registered) -> None:
    benchmark = registered.owner.benchmarks.get(registered.benchmark_id)
    assert benchmark.task is not None
    declared = benchmark.task.model_dump(mode="json")
    declared["metrics"].append({"name": "brier", "direction": "lower", "range": [0, 1]})
    policy = benchmark.release_policy.model_copy(
        update={"allowed_metric_keys": [*(benchmark.release_policy.allowed_metric_keys or []), "brier"]}
    )
    registered.owner.benchmarks.update(
        registered.benchmark_id,
        BenchmarkUpdate(task=TaskDeclaration.model_validate(declared), release_policy=policy),
    )
    try:
        with pytest.raises(ConfigError, match=r"task.metrics.brier: the evaluator's results have no number"):
            _run(registered)
    finally:  # the next tests start from the example's own declaration and policy
        registered.owner.benchmarks.update(
            registered.benchmark_id, BenchmarkUpdate(task=benchmark.task, release_policy=benchmark.release_policy)
        )


def test_the_demo_datas_reference_statistics_make_each_prepare_score_drift(registered: Registered) -> None:
    """The committee stores the demo data's reference; from then on the statistics carry a drift score the
    release policy lets leave (the demo data against itself: nothing drifted)."""
    benchmark = registered.owner.benchmarks.get(registered.benchmark_id)
    assert benchmark.task is not None and benchmark.task.reference_statistics is None
    reference = run_compatibility_test(
        registered.owner, registered.store, registered.settings, registered.benchmark_id, None, reference=True
    )["reference_statistics"]
    assert isinstance(reference, dict) and reference
    with_reference = benchmark.task.model_copy(update={"reference_statistics": reference})
    registered.owner.benchmarks.update(registered.benchmark_id, BenchmarkUpdate(task=with_reference))
    try:
        stats = _run(registered)["statistics"]
        assert isinstance(stats, dict)
        drift = stats["drift"]
        assert drift["drifted"] is False and drift["num_features"] >= 10, drift
    finally:
        registered.owner.benchmarks.update(registered.benchmark_id, BenchmarkUpdate(task=benchmark.task))


def test_the_test_run_runs_the_declared_subgroups_and_suppresses_them_as_execute_does(tmp_path: Path) -> None:
    """The diabetes benchmark declares subgroups [sex, age_band]; its 30 demo cases are 14/16 by sex and
    10/13/7 by age band. With k=5 all five are released; with k=8 the 7 cases of 60-plus are suppressed, and
    so is the smallest other band (under-45, 10), since the overall count would give the lone one away."""
    with _registered(tmp_path, DIABETES) as registered:
        metrics = _run(registered)["metrics"]
        assert isinstance(metrics, dict)
        groups = metrics["subgroups"]
        assert {name: released["num_cases"] for name, released in groups.items()} == {
            "sex=1": 14, "sex=2": 16, "age_band=under-45": 10, "age_band=45-59": 13, "age_band=60-plus": 7}
        assert all(released["mae"] >= 0 for released in groups.values())
        benchmark = registered.owner.benchmarks.get(registered.benchmark_id)
        stricter = benchmark.release_policy.model_copy(update={"min_cell_count": 8})
        registered.owner.benchmarks.update(registered.benchmark_id, BenchmarkUpdate(release_policy=stricter))
        groups = _run(registered)["metrics"]["subgroups"]  # type: ignore[index]
        assert {name for name, released in groups.items() if released is None} == {
            "age_band=60-plus", "age_band=under-45"}
        assert groups["age_band=45-59"]["num_cases"] == 13
