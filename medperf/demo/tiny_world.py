"""A tiny federated world on a running stack: a committee, data sites with their own worker, home and data root.

Built from the three tiny projects in tiny_projects/ (prep, model, evaluator: CSV in, a threshold model, AUC
out), for the campaign benchmark (benchmarks/campaign.py) and the deployment and fault tests alike.
"""

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment

from deployments.site_deployments import deploy_site
from deployments.site_plan import SitePlan
from deployments.site_worker import start_worker, stop_worker
from medperf.bundle.register import container_payload
from medperf.client import RegistryClient
from medperf.profiles import Profile, ProfileStore
from medperf.schemas import (
    BenchmarkCreate,
    BenchmarkPublic,
    ContainerPublic,
    ModelCreate,
    ModelPublic,
    ReleasePolicy,
    UserCreate,
)
from medperf.settings import ObjectStoreSettings, SiteSettings
from medperf.site.approval_code import approval_code, load_or_create_site_secret
from medperf.site.approval_form import run_input, send_answer
from medperf.site.run_store import RunStore
from medperf.storage import ObjectStore

__all__ = [
    "DEADLINE_S", "POLICY", "PROJECTS", "SUITE", "Committee", "Site", "TinyBenchmark", "associate_dataset",
    "finish_with_approvals", "interval", "make_site", "new_user", "poll", "prepare_dataset_at", "read_run",
    "register_tiny_benchmark", "store_settings", "tiny_benchmark", "unique", "upload_container",
]  # fmt: skip
PROJECTS = Path(__file__).resolve().parent / "tiny_projects"
DEADLINE_S = 240.0
_names = itertools.count()
SUITE: dict[str, Any] = {
    "name": "tiny-sanity",
    "expectations": [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "case_id"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "label", "value_set": [0, 1]}},
    ],
}
POLICY = ReleasePolicy(allowed_statistics_keys=["num_cases", "label_counts", "sanity", "mean_size"])


def unique(prefix: str) -> str:
    """A name no other registration uses."""
    return f"{prefix}-{next(_names)}-{time.monotonic_ns() % 100000}"


def poll(condition: Callable[[], Any], what: str, deadline_s: float = DEADLINE_S, every_s: float = 0.5) -> Any:
    """Call `condition` until it returns something truthy; fail naming `what` after the deadline."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(every_s)
    raise TimeoutError(f"timed out after {deadline_s:.0f} s waiting for {what}")


def store_settings(stack: Any, cache: Path) -> ObjectStoreSettings:
    """The S3 store of the stack, with a local cache folder."""
    return ObjectStoreSettings(
        kind="s3",
        endpoint=stack.s3_endpoint,
        access_key=stack.s3_access_key,
        secret_key=stack.s3_secret_key,
        bucket=stack.s3_bucket,
        secure=False,
        cache_dir=cache,
    )


def new_user(admin: RegistryClient, email: str) -> str:
    """Register a user and return a token for it."""
    user = admin.users.create(UserCreate(email=email, name=email.split("@")[0]))
    return admin.tokens.create(user.id).token


def upload_container(
    client: RegistryClient,
    store: ObjectStore,
    project: str,
    parameters: dict[str, Any] | None = None,
    *,
    projects: Path = PROJECTS,
) -> ContainerPublic:
    """Check, pack, store and register a project of `projects` (prep, model or evaluator; the tiny ones unless
    told) as `medperf container submit` does (medperf.bundle), under a new name and with these parameters."""
    payload = container_payload(unique(project), projects / project, store)
    return client.containers.create(payload.model_copy(update={"parameters": parameters}))


@dataclass(frozen=True)
class TinyBenchmark:
    """An approved benchmark with its reference model, seen by its owner, a data owner and the admin."""

    benchmark: BenchmarkPublic
    reference_model: ModelPublic
    owner: RegistryClient
    data_owner: RegistryClient
    admin: RegistryClient


def register_tiny_benchmark(
    owner: RegistryClient,
    admin: RegistryClient,
    store: ObjectStore,
    *,
    suite: dict[str, Any] = SUITE,
    policy: ReleasePolicy = POLICY,
    model_parameters: dict[str, Any] | None = None,
    projects: Path = PROJECTS,
) -> tuple[BenchmarkPublic, ModelPublic]:
    """The three containers of `projects` (the tiny ones unless told), a reference model (threshold 10 unless
    told) and a benchmark the admin approved."""
    prep = upload_container(owner, store, "prep", projects=projects)
    model_container = upload_container(owner, store, "model", model_parameters or {"threshold": 10}, projects=projects)
    evaluator = upload_container(owner, store, "evaluator", projects=projects)
    reference = owner.models.create(ModelCreate(name=unique("model"), container_id=model_container.id))
    created = owner.benchmarks.create(
        BenchmarkCreate(
            name=unique("bench"),
            data_preparation_container_id=prep.id,
            reference_model_id=reference.id,
            evaluator_container_id=evaluator.id,
            sanity_suite=suite,
            release_policy=policy,
        )
    )
    return admin.benchmarks.approve(created.id), reference


def tiny_benchmark(
    admin: RegistryClient, owner: RegistryClient, data_owner: RegistryClient, store: ObjectStore, **options: Any
) -> TinyBenchmark:
    """register_tiny_benchmark (options: suite, policy, model_parameters, projects), seen by the data owner too."""
    benchmark, model = register_tiny_benchmark(owner, admin, store, **options)
    return TinyBenchmark(benchmark, model, owner, data_owner, admin)


def associate_dataset(world: TinyBenchmark, dataset_id: int) -> None:
    """The data owner asks to join the benchmark with its dataset; the benchmark owner approves."""
    request = world.data_owner.associations.request_dataset(world.benchmark.id, dataset_id)
    if request.approval_status != "APPROVED":
        world.owner.associations.approve("dataset", request.id)


@dataclass
class Site:
    """A hospital: its data owner, its machine's home (profile, site secret), data root and raw data."""

    name: str
    home: Path
    data_root: Path
    owner: RegistryClient
    env: dict[str, str]
    raw: tuple[Path, Path]
    dataset_id: int | None = None
    approved: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)  # run id -> why Prefect last did not take the answer

    def plan(self, **options: Any) -> SitePlan:
        """The site's deployment plan (sandbox runner, its data root)."""
        settings = SiteSettings(name=self.name, data_root=self.data_root, runner="sandbox")
        return SitePlan(settings, **options)

    def up(self, *, worker: bool = True, **options: Any) -> None:
        """What `medperf site up` does: pool + deployments, then the worker with the site's environment."""
        plan = self.plan(**options)
        deploy_site(plan)
        if worker:
            start_worker(plan, env=self.env, home=self.home)

    def start_worker(self) -> None:
        """Start (only) the site's worker."""
        start_worker(self.plan(), env=self.env, home=self.home)

    def down(self) -> None:
        """Stop the site's worker."""
        stop_worker(self.name, home=self.home)

    def approve_waiting(self, only: Callable[[str], bool] | None = None, reject_rows: str = "") -> list[str]:
        """Approve every run of this site paused at its approval form (those `only` accepts, by flow run id),
        with the code only this site can compute; reject_rows ("2, 5") answers a batch's form.

        An answer Prefect did not take (the form's schema is saved just after the Suspended state, a busy
        server) stored nothing: it is sent again on the next call, and the reason kept in `refused`."""
        answered = []
        secret = load_or_create_site_secret(self.home)
        with get_client(sync_client=True) as client:
            for pending in RunStore(self.data_root).approvals():
                if pending.flow_run_id in self.approved or pending.decision is not None:
                    continue
                if only is not None and not only(pending.flow_run_id):
                    continue
                run = client.read_flow_run(UUID(pending.flow_run_id))
                if run.state is None or not run.state.is_paused() or not run.state.state_details.run_input_keyset:
                    continue
                code = approval_code(secret, pending.flow_run_id, pending.payload_sha256)
                answer = run_input(approve=True, approval_code=code, comment="ok", reject_rows=reject_rows)
                reason = send_answer(client, UUID(pending.flow_run_id), answer, patience_s=0)
                if reason is not None:
                    self.refused[pending.flow_run_id] = reason
                    continue
                self.approved.add(pending.flow_run_id)
                answered.append(pending.flow_run_id)
        return answered


def make_site(name: str, root: Path, registry_url: str, token: str, stack: Any, n_cases: int = 12) -> Site:
    """A site machine: home with the data owner's profile, a data root, raw data of n cases."""
    home, data_root = root / name / "home", root / name / "data"
    data_root.mkdir(parents=True)
    ProfileStore(home).put(name, Profile(server_url=registry_url, token=token), activate=True)
    raw_data, raw_labels = root / name / "raw", root / name / "raw_labels"
    raw_data.mkdir()
    raw_labels.mkdir()
    cases, labels = ["id,size"], ["id,label"]
    for index in range(n_cases):
        size = 3 + (index * 7) % 17
        cases.append(f"pt-{index:04d}-{name},{size}.5")
        labels.append(f"pt-{index:04d}-{name},{int(size > 10)}")
    (raw_data / "cases.csv").write_text("\n".join(cases) + "\n")
    (raw_labels / "labels.csv").write_text("\n".join(labels) + "\n")
    settings = store_settings(stack, data_root / "store-cache")
    env = {
        "MEDPERF_HOME": str(home),
        "MEDPERF_SITE_TASK_TIMEOUT_SECONDS": "120",
        "MEDPERF_STORE_KIND": "s3",
        "MEDPERF_STORE_ENDPOINT": settings.endpoint,
        "MEDPERF_STORE_ACCESS_KEY": settings.access_key,
        "MEDPERF_STORE_SECRET_KEY": settings.secret_key,
        "MEDPERF_STORE_BUCKET": settings.bucket,
        "MEDPERF_STORE_CACHE_DIR": str(settings.cache_dir),
    }
    return Site(name, home, data_root, RegistryClient(registry_url, token), env, (raw_data, raw_labels))


@dataclass
class Committee:
    """The benchmark owner: its client, the benchmark and the object store."""

    client: RegistryClient
    token: str
    admin: RegistryClient
    store: ObjectStore
    benchmark: BenchmarkPublic | None = None

    def profile_home(self, home: Path) -> Path:
        """A MedPerf home whose active profile is the committee's (for the CLI or a committee worker)."""
        ProfileStore(home).put("committee", Profile(server_url=self.client.base_url, token=self.token))
        return home

    def register_model(self, threshold: float) -> ModelPublic:
        """A new model (the tiny fixture with its own threshold)."""
        container = upload_container(self.client, self.store, "model", {"threshold": threshold})
        return self.client.models.create(ModelCreate(name=unique("model"), container_id=container.id))

    def create_benchmark(self) -> BenchmarkPublic:
        """Containers, reference model and an approved benchmark."""
        self.benchmark, _ = register_tiny_benchmark(self.client, self.admin, self.store)
        return self.benchmark

    def associate_model(self, model: ModelPublic) -> None:
        """The committee owns the model and the benchmark: the association is approved at once."""
        if self.benchmark is None:
            raise RuntimeError("create_benchmark() first")
        self.client.associations.request_model(self.benchmark.id, model.id)


def read_run(flow_run_id: str) -> FlowRun:
    """A flow run as the Prefect server knows it."""
    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(flow_run_id))


def prepare_dataset_at(site: Site, benchmark_id: int) -> str:
    """The site operator starts prepare_dataset on its own pool (the raw paths stay on its pool's runs)."""
    run = run_deployment(
        f"prepare_dataset/{site.name}",
        parameters={
            "benchmark_id": benchmark_id,
            "data_path": str(site.raw[0]),
            "labels_path": str(site.raw[1]),
            "name": unique(site.name),
        },
        timeout=0,
        as_subflow=False,
    )
    if not isinstance(run, FlowRun):
        raise TypeError(f"run_deployment returned {type(run).__name__}, not a flow run")
    return str(run.id)


def finish_with_approvals(
    sites: list[Site], flow_run_ids: list[str], what: str, deadline_s: float = DEADLINE_S
) -> dict[str, FlowRun]:
    """Approve what the sites' runs ask, until every run is final; returns the final runs (must be COMPLETED)."""

    def all_final() -> dict[str, FlowRun] | None:
        for site in sites:
            site.approve_waiting()
        runs = {run_id: read_run(run_id) for run_id in flow_run_ids}
        if all(run.state is not None and run.state.is_final() for run in runs.values()):
            return runs
        return None

    try:
        runs: dict[str, FlowRun] = poll(all_final, what, deadline_s)
    except TimeoutError as err:
        raise TimeoutError(f"{err}; {_stuck(sites, flow_run_ids)}") from None
    failed = {run_id: run.state.name for run_id, run in runs.items() if run.state and not run.state.is_completed()}
    if failed:
        raise RuntimeError(f"{what}: runs did not complete: {failed}")
    return runs


def _stuck(sites: list[Site], flow_run_ids: list[str]) -> str:
    """Each run's state, and the answers Prefect did not take, for a timeout's message."""
    states = {}
    for run_id in flow_run_ids:
        state = read_run(run_id).state
        states[run_id[:8]] = state.name if state else "no state"
    refused = {run_id[:8]: why for site in sites for run_id, why in site.refused.items() if run_id in flow_run_ids}
    return f"run states: {states}; answers not taken: {refused or 'none'}"


def interval(seconds: int) -> timedelta:
    """A schedule interval."""
    return timedelta(seconds=seconds)
