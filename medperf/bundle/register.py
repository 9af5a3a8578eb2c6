"""register_benchmark_folder: containers, models and the benchmark of a folder, as the right identities."""

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from medperf.bundle.benchmark_file import BenchmarkFile, load_benchmark_file
from medperf.bundle.container_project import ContainerProject, load_container_project, pack_project
from medperf.client import RegistryClient, iter_all
from medperf.containers.config import ContainerKind
from medperf.containers.tarball import pack_folder
from medperf.errors import ConfigError, MedPerfError
from medperf.schemas import (
    BenchmarkCreate,
    BenchmarkPublic,
    ContainerCreate,
    ContainerPublic,
    EntityState,
    ModelCreate,
    ModelPublic,
    ModelUpdate,
)
from medperf.settings import SiteSettings
from medperf.site.compatibility_test import DemoPipeline
from medperf.storage import ObjectStore, StoredObject

RunnerKind = Literal["sandbox", "docker"]
Report = Callable[[str], None]
DemoCheck = Callable[[DemoPipeline], None]
COMPARED = ("config", "parameters", "image", "image_digest", "additional_files_sha256", "source_archive_sha256")


@dataclass(frozen=True)
class BundleIdentities:
    """Who registers what: the benchmark owner (prep, evaluator, benchmark) and the model owner (models)."""

    benchmark_owner: RegistryClient
    model_owner: RegistryClient | None = None

    @property
    def models_by(self) -> RegistryClient:
        """The model owner, or the benchmark owner when the committee ships the models itself."""
        return self.model_owner or self.benchmark_owner


@dataclass
class RegisteredBenchmark:
    """What the folder is in the registry, and which entries this call created (the rest existed already)."""

    benchmark: BenchmarkPublic
    prep: ContainerPublic
    evaluator: ContainerPublic
    models: dict[str, ModelPublic]
    reference_model: str
    created: list[str] = field(default_factory=list)


def container_name(benchmark: str, project: Path) -> str:
    """The registry name of a project: "<benchmark>-<folder>", e.g. breast-cancer-wdbc-prep."""
    return f"{benchmark}-{project.name}"[:128]


def _same(existing: ContainerPublic, wanted: ContainerCreate) -> bool:
    return all(getattr(existing, key) == getattr(wanted, key) for key in COMPARED)


def _same_but_image(existing: ContainerPublic, wanted: ContainerCreate) -> bool:
    """A sandbox registration of a container already registered with a docker image (and archive)."""
    return wanted.image_digest is None and existing.image_digest is not None and all(
        getattr(existing, key) == getattr(wanted, key) for key in COMPARED if not key.startswith("image_d")
    )


@dataclass(frozen=True)
class CheckedContainer:
    """A project that passed every check (and, for the docker runner, whose image was built)."""

    name: str
    project: ContainerProject
    image_id: str | None


def check_container(name: str, folder: Path, runner: RunnerKind = "sandbox", *, expected: ContainerKind | None = None,
                    site: SiteSettings | None = None) -> CheckedContainer:
    """Load and check a project (kind, type, Dockerfile, requirements) and, for docker, build its image."""
    project = load_container_project(folder)
    if expected is not None and project.kind != expected:
        raise ConfigError(
            f"{project.layout.config_file}: tasks: this is a {project.kind} container, "
            f"but benchmark.yaml uses it as the {expected}; point the key at the right folder"
        )
    image_id = project.image_digest  # a DockerArchive is its own image
    if runner == "docker" and project.container_type == "DockerImage":
        from medperf.bundle.docker_image import build_project_image

        image_id = build_project_image(project, site or SiteSettings(runner="docker"))
    return CheckedContainer(name, project, image_id)


def checked_payload(checked: CheckedContainer, store: ObjectStore, site: SiteSettings | None = None) -> ContainerCreate:
    """Pack a checked project into the store (and its image archive) and describe it for the registry."""
    project = checked.project
    packed = pack_project(project, store)
    archive: StoredObject | None = None
    if project.image_archive is not None:
        archive = store.put_file(project.image_archive)
    elif checked.image_id is not None:
        from medperf.bundle.docker_image import save_image

        archive = save_image(checked.image_id, project.image, store, site or SiteSettings(runner="docker"))
    return ContainerCreate(
        name=checked.name,
        config=project.config,
        parameters=project.parameters,
        image=project.image,
        image_digest=checked.image_id,
        image_archive_url=archive.url if archive else None,
        image_archive_sha256=archive.sha256 if archive else None,
        additional_files_url=packed.additional_files.url if packed.additional_files else None,
        additional_files_sha256=packed.additional_files.sha256 if packed.additional_files else None,
        source_archive_url=packed.source.url,
        source_archive_sha256=packed.source.sha256,
    )


def container_payload(name: str, folder: Path, store: ObjectStore, runner: RunnerKind = "sandbox", *,
                      expected: ContainerKind | None = None, site: SiteSettings | None = None) -> ContainerCreate:
    """Check and pack a project into the store (and build its image for docker) and describe it for the registry."""
    return checked_payload(check_container(name, folder, runner, expected=expected, site=site), store, site)


@dataclass
class _PlannedContainer:
    """A container of the folder: what would be sent, and the registered entry it equals (if any)."""

    client: RegistryClient
    folder: Path
    wanted: ContainerCreate
    existing: ContainerPublic | None = None


class _Registrar:
    """One registration run: checks everything first, then creates what is missing and records it."""

    def __init__(self, file: BenchmarkFile, who: BundleIdentities, store: ObjectStore, runner: RunnerKind,
                 site: SiteSettings | None, report: Report) -> None:
        self.file, self.who, self.store, self.runner, self.site = file, who, store, runner, site
        self.report = report
        self.created: list[str] = []
        self.withdrawable: list[tuple[str, int]] = []  # (kind, id) of what this run created, in creation order
        self.done: dict[str, ContainerPublic] = {}
        self._demo: StoredObject | None = None

    def check_all(self) -> dict[str, CheckedContainer]:
        """Every project of the folder checked (and built for docker) before anything is sent."""
        file = self.file
        roles: list[tuple[str, Path, ContainerKind]] = [
            ("prep", file.prep_dir, "data_preparator"), ("evaluator", file.evaluator_dir, "evaluator"),
            *((f"model:{key}", path, "model") for key, path in file.models.items()),
        ]  # fmt: skip
        return {role: check_container(container_name(file.name, folder), folder, self.runner, expected=kind,
                                      site=self.site) for role, folder, kind in roles}

    def plan_container(self, client: RegistryClient, checked: CheckedContainer) -> _PlannedContainer:
        """The payload, and the existing entry it reuses; ConfigError when the name is taken by other content."""
        wanted = checked_payload(checked, self.store, self.site)
        me = client.users.me()
        for existing in iter_all(client.containers.list, owner_id=me.id):
            if existing.name != wanted.name:
                continue
            if _same(existing, wanted) or _same_but_image(existing, wanted):
                return _PlannedContainer(client, checked.project.folder, wanted, existing)
            raise ConfigError(
                f"{checked.project.folder}: container {wanted.name!r} is already registered (id {existing.id}) with "
                "other content, and registered containers are immutable (the name <benchmark>-<folder> collides, "
                f"not the image tag): withdraw the old one (`medperf container withdraw {existing.id}`, after what "
                "uses it) or give the benchmark another `name` in benchmark.yaml"
            )
        return _PlannedContainer(client, checked.project.folder, wanted)

    def existing_model(self, key: str) -> ModelPublic | None:
        client = self.who.models_by
        name = f"{self.file.name}-{key}"[:128]
        me = client.users.me()
        return next((m for m in iter_all(client.models.list, owner_id=me.id) if m.name == name), None)

    def check_benchmark(self, planned: dict[str, _PlannedContainer]) -> None:
        """ConfigError before anything is created when the benchmark's name is taken with other containers."""
        client = self.who.benchmark_owner
        me = client.users.me()
        reference = self.existing_model(self.file.reference_model)
        wanted = {
            "data_preparation_container_id": planned["prep"].existing.id if planned["prep"].existing else None,
            "evaluator_container_id": planned["evaluator"].existing.id if planned["evaluator"].existing else None,
            "reference_model_id": reference.id if reference else None,
        }
        for existing in iter_all(client.benchmarks.list, owner_id=me.id):
            if existing.name == self.file.name and any(getattr(existing, k) != v for k, v in wanted.items()):
                raise ConfigError(
                    f"{self.file.path}: name: benchmark {self.file.name!r} already exists (id {existing.id}) with "
                    "other containers; give the new benchmark another name"
                )

    def container(self, planned: _PlannedContainer) -> ContainerPublic:
        if planned.wanted.name in self.done:  # two keys naming the same folder share one container
            return self.done[planned.wanted.name]
        self.done[planned.wanted.name] = self._container(planned)
        return self.done[planned.wanted.name]

    def _container(self, planned: _PlannedContainer) -> ContainerPublic:
        if planned.existing is not None:
            note = "" if planned.existing.image_digest == planned.wanted.image_digest else " with a docker image"
            self.report(f"container {planned.wanted.name} already registered{note} (id {planned.existing.id})")
            return planned.existing
        created = planned.client.containers.create(planned.wanted)
        self.created.append(f"container {created.name} (id {created.id})")
        self.withdrawable.append(("container", created.id))
        self.report(f"container {created.name} registered (id {created.id})")
        return created

    def model(self, key: str, planned: _PlannedContainer) -> ModelPublic:
        client = self.who.models_by
        container = self.container(planned)
        name = f"{self.file.name}-{key}"[:128]
        existing = self.existing_model(key)
        if existing is not None:
            if existing.container_id == container.id:
                self.report(f"model {name} already registered (id {existing.id})")
                return existing
            version = str(int(existing.version) + 1) if existing.version.isdigit() else existing.version + "+1"
            updated = client.models.update(existing.id, ModelUpdate(container_id=container.id, version=version))
            self.created.append(f"model {name} version {version} (id {updated.id})")
            return updated
        created = client.models.create(ModelCreate(name=name, container_id=container.id))
        self.created.append(f"model {created.name} (id {created.id})")
        self.withdrawable.append(("model", created.id))
        self.report(f"model {created.name} registered (id {created.id})")
        return created

    def demo_dataset(self) -> StoredObject | None:
        if self.file.demo_data is None:
            return None
        if self._demo is None:
            with tempfile.TemporaryDirectory(prefix="medperf-demo-") as tmp:
                staging = Path(tmp) / "demo"
                shutil.copytree(self.file.demo_data[0], staging / "data")
                shutil.copytree(self.file.demo_data[1], staging / "labels")
                self._demo = self.store.put_file(pack_folder(staging, Path(tmp) / "demo.tar.gz"))
        return self._demo

    def check_on_demo_data(self, planned: dict[str, _PlannedContainer], check: DemoCheck) -> None:
        """The pipeline on the demo data with the reference model, before anything new is registered."""
        demo = self.demo_dataset()
        if demo is None:
            self.report("no demo dataset in benchmark.yaml: the demo-data check is skipped")
            return
        file = self.file
        check(DemoPipeline(
            label=str(file.path), demo_dataset_url=demo.url, demo_dataset_sha256=demo.sha256,
            sanity_suite=file.sanity_suite, release_policy=file.release_policy, task=file.task,
            prep=_preview(planned["prep"]), model=_preview(planned[f"model:{file.reference_model}"]),
            evaluator=_preview(planned["evaluator"]),
        ))  # fmt: skip
        self.report("demo-data check passed: prepare, sanity check, statistics, the reference model and the "
                    "evaluator ran; the release policy and the declared task accept what they produced")

    def benchmark(self, prep: ContainerPublic, evaluator: ContainerPublic, reference: ModelPublic) -> BenchmarkPublic:
        client = self.who.benchmark_owner
        demo = self.demo_dataset()
        wanted = BenchmarkCreate(
            name=self.file.name,
            description=self.file.description,
            data_preparation_container_id=prep.id,
            reference_model_id=reference.id,
            evaluator_container_id=evaluator.id,
            demo_dataset_url=demo.url if demo else None,
            demo_dataset_sha256=demo.sha256 if demo else None,
            sanity_suite=self.file.sanity_suite,
            release_policy=self.file.release_policy,
            task=self.file.task,
        )
        me = client.users.me()
        for existing in iter_all(client.benchmarks.list, owner_id=me.id):
            if existing.name != wanted.name:
                continue
            parts = ("data_preparation_container_id", "reference_model_id", "evaluator_container_id")
            if all(getattr(existing, key) == getattr(wanted, key) for key in parts):
                self.report(f"benchmark {existing.name} already registered (id {existing.id})")
                return existing
            raise ConfigError(
                f"{self.file.path}: name: benchmark {wanted.name!r} already exists (id {existing.id}) with other "
                "containers; give the new benchmark another name"
            )
        created = client.benchmarks.create(wanted)
        self.created.append(f"benchmark {created.name} (id {created.id})")
        self.report(f"benchmark {created.name} submitted (id {created.id}, {created.approval_status.value})")
        return created


def register_benchmark_folder(
    folder: Path,
    who: BundleIdentities,
    store: ObjectStore,
    runner: RunnerKind = "sandbox",
    *,
    site: SiteSettings | None = None,
    report: Report = lambda _line: None,
    check: DemoCheck | None = None,
) -> RegisteredBenchmark:
    """Pack and register every container of the folder, the models and the benchmark; idempotent.

    The benchmark owner registers the preparator, the evaluator and the benchmark; the model owner the
    models (each wraps its own container). With runner "docker" each image is built and saved to the store.
    Re-running with the same folder returns the existing entries; changed content is a ConfigError.
    With `check`, the pipeline first runs on the demo data (containers packed, nothing registered yet); what
    it raises (the evaluator's output against the declared task, the release policy) registers nothing.
    """
    file = load_benchmark_file(folder)
    registrar = _Registrar(file, who, store, runner, site, report)
    checked = registrar.check_all()  # every project checked (and built) before anything is sent
    planned = {
        role: registrar.plan_container(who.models_by if role.startswith("model:") else who.benchmark_owner, item)
        for role, item in checked.items()
    }
    registrar.check_benchmark(planned)
    if check is not None:
        registrar.check_on_demo_data(planned, check)
    try:
        prep = registrar.container(planned["prep"])
        evaluator = registrar.container(planned["evaluator"])
        models = {key: registrar.model(key, planned[f"model:{key}"]) for key in file.models}
        benchmark = registrar.benchmark(prep, evaluator, models[file.reference_model])
    except MedPerfError as err:
        if not registrar.withdrawable:
            raise
        raise ConfigError(f"{err}; {left_behind(registrar.withdrawable)}") from err
    return RegisteredBenchmark(benchmark, prep, evaluator, models, file.reference_model, registrar.created)


def _preview(planned: _PlannedContainer) -> ContainerPublic:
    """The registered container, or what registering the payload would give (id 0), for the demo-data check."""
    if planned.existing is not None:
        return planned.existing
    return ContainerPublic(id=0, owner_id=0, state=EntityState.DEVELOPMENT, created_at=datetime.now(UTC),
                           **planned.wanted.model_dump())


def left_behind(created: list[tuple[str, int]]) -> str:
    """What a failed run registered, and the commands that withdraw it (dependents first)."""
    commands = [f"`medperf {kind} withdraw {entity_id}`" for kind, entity_id in reversed(created)]
    return f"this run registered {len(created)} entr{'y' if len(created) == 1 else 'ies'}; withdraw them with " + (
        ", then ".join(commands)
    )
