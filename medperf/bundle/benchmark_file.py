"""benchmark.yaml of a benchmark folder: read, validated, with every path resolved and checked."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from medperf.containers.tarball import check_packable
from medperf.errors import ConfigError
from medperf.input_files import read_json_mapping
from medperf.safe_yaml import read_yaml_mapping
from medperf.schemas import ReleasePolicy
from medperf.schemas.task import TaskDeclaration

BENCHMARK_FILE = "benchmark.yaml"
SEARCHED = (Path("benchmark") / BENCHMARK_FILE, Path(BENCHMARK_FILE))


class DemoDatasetEntry(BaseModel):
    """`demo_dataset:` raw data and labels folders (relative to the benchmark folder)."""

    model_config = ConfigDict(extra="forbid")
    data_path: str
    labels_path: str


class BenchmarkEntry(BaseModel):
    """The keys of benchmark.yaml (paths relative to the benchmark folder)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    data_preparation_container: str
    reference_model: str
    models: dict[str, str] = Field(default_factory=dict)
    evaluator_container: str
    demo_dataset: DemoDatasetEntry | None = None
    sanity_suite: str | None = None
    release_policy: ReleasePolicy = Field(default_factory=ReleasePolicy)
    task: TaskDeclaration | None = None


@dataclass(frozen=True)
class BenchmarkFile:
    """A validated benchmark.yaml: folders resolved, suite loaded; `models` always includes the reference."""

    path: Path
    root: Path
    name: str
    description: str
    prep_dir: Path
    evaluator_dir: Path
    reference_model: str
    models: dict[str, Path]
    demo_data: tuple[Path, Path] | None
    sanity_suite: dict[str, Any] | None
    release_policy: ReleasePolicy
    task: TaskDeclaration | None = None


def find_benchmark_file(folder: Path) -> Path:
    """benchmark/benchmark.yaml or benchmark.yaml in the folder (or the file itself)."""
    if folder.is_file():
        return folder
    for relative in SEARCHED:
        if (folder / relative).is_file():
            return folder / relative
    raise ConfigError(
        f"{folder}: no {SEARCHED[0]} or {BENCHMARK_FILE} found; give the benchmark folder "
        "(see examples/breast_cancer/)"
    )


def _root_of(path: Path) -> Path:
    """Paths in benchmark.yaml are relative to the benchmark folder (the parent of benchmark/)."""
    return path.parent.parent if path.parent.name == "benchmark" else path.parent


def _existing(root: Path, value: str, path: Path, key: str, *, folder: bool) -> Path:
    """The path a key names, which must exist inside the benchmark folder; one line naming the key otherwise.

    Absolute paths, '~' and '../' (or a symlink) leading outside the folder are refused: a benchmark folder
    is packed and published, so it may only name what it contains.
    """
    if Path(value).is_absolute() or value.startswith("~"):
        raise ConfigError(
            f"{path}: {key}: {value!r} is an absolute path; give a path relative to the benchmark folder {root}"
        )
    try:
        resolved = (root / value).resolve()
        inside = resolved.is_relative_to(root.resolve())
        ok = resolved.is_dir() if folder else resolved.is_file()
    except (OSError, ValueError):
        raise ConfigError(f"{path}: {key}: {value!r} is not a usable path; fix the path") from None
    if not inside:
        raise ConfigError(
            f"{path}: {key}: {value!r} leads outside the benchmark folder {root}; keep what the benchmark "
            "needs inside its folder"
        )
    if not ok:
        kind = "folder" if folder else "file"
        raise ConfigError(f"{path}: {key}: {value!r} is not an existing {kind} (relative to {root}); fix the path")
    return resolved


def _validation_message(err: ValidationError, path: Path) -> str:
    first = err.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = str(first["msg"]).removeprefix("Value error, ")
    if message.startswith(f"{key}."):  # the declaration's own checks name the field themselves
        return f"{path}: {message}; fix that key"
    return f"{path}: {key}: {message}; fix that key"


def policy_following_task(policy: ReleasePolicy, task: TaskDeclaration | None, path: Path) -> ReleasePolicy:
    """The release policy with its metric keys following the declaration (derived when omitted, checked when given)."""
    if task is None:
        return policy
    declared = task.metric_keys()
    if policy.allowed_metric_keys is None:
        return policy.model_copy(update={"allowed_metric_keys": declared})
    missing = [key for key in declared if key not in policy.allowed_metric_keys]
    if missing:
        raise ConfigError(
            f"{path}: release_policy.allowed_metric_keys: the declared task needs {missing} which it does not allow; "
            "add them or leave allowed_metric_keys out (it then follows from task:)"
        )
    return policy


def load_benchmark_file(folder: Path) -> BenchmarkFile:
    """Read and validate benchmark.yaml; ConfigError names the file and the key that is wrong."""
    path = find_benchmark_file(folder.expanduser().resolve())
    try:
        entry = BenchmarkEntry.model_validate(read_yaml_mapping(path, "benchmark file"))
    except ValidationError as err:
        raise ConfigError(_validation_message(err, path)) from None
    root = _root_of(path)
    models = {
        name: _existing(root, value, path, f"models.{name}", folder=True) for name, value in entry.models.items()
    }
    reference_dir = _existing(root, entry.reference_model, path, "reference_model", folder=True)
    reference = next((name for name, folder_ in models.items() if folder_ == reference_dir), None)
    if reference is None:
        reference = reference_dir.name
        models = {reference: reference_dir, **models}
    demo = None
    if entry.demo_dataset is not None:
        demo = (
            _existing(root, entry.demo_dataset.data_path, path, "demo_dataset.data_path", folder=True),
            _existing(root, entry.demo_dataset.labels_path, path, "demo_dataset.labels_path", folder=True),
        )
        for demo_folder in demo:  # packed into the published demo archive: no links, no special files
            check_packable(demo_folder)
    suite = None
    if entry.sanity_suite is not None:
        suite_path = _existing(root, entry.sanity_suite, path, "sanity_suite", folder=False)
        suite = read_json_mapping(suite_path, "sanity suite")
    return BenchmarkFile(
        path=path,
        root=root,
        name=entry.name,
        description=entry.description,
        prep_dir=_existing(root, entry.data_preparation_container, path, "data_preparation_container", folder=True),
        evaluator_dir=_existing(root, entry.evaluator_container, path, "evaluator_container", folder=True),
        reference_model=reference,
        models=models,
        demo_data=demo,
        sanity_suite=suite,
        release_policy=policy_following_task(entry.release_policy, entry.task, path),
        task=entry.task,
    )
