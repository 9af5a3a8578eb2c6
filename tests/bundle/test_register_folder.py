"""register_benchmark_folder on the real breast-cancer folder: who registers what, idempotency, archives."""

import shutil
import tarfile
from pathlib import Path

import pytest

from medperf.bundle import BundleIdentities, register_benchmark_folder
from medperf.errors import ConfigError
from medperf.hashing import sha256_file
from medperf.schemas import ApprovalStatus
from medperf.storage import ObjectStore
from medperf.storage.local_folder import file_url_path

from .conftest import EXAMPLE, Committee


def test_registers_each_entity_as_its_owner(committee: Committee, store: ObjectStore) -> None:
    done = register_benchmark_folder(EXAMPLE, BundleIdentities(committee.owner, committee.modeller), store)

    owner, modeller = committee.owner.users.me(), committee.modeller.users.me()
    assert done.benchmark.name == "breast-cancer-wdbc"
    assert done.benchmark.owner_id == owner.id
    assert done.benchmark.approval_status == ApprovalStatus.PENDING
    assert {done.prep.owner_id, done.evaluator.owner_id} == {owner.id}
    assert sorted(done.models) == ["gnb", "logreg", "mlp"]
    assert {model.owner_id for model in done.models.values()} == {modeller.id}
    assert done.benchmark.reference_model_id == done.models["logreg"].id
    assert done.benchmark.release_policy.allow_per_case is False
    assert done.benchmark.sanity_suite is not None
    assert len(done.created) == 9  # 5 containers, 3 models, 1 benchmark


def test_archives_hold_the_project_without_additional_files(committee: Committee, store: ObjectStore,
                                                            tmp_path: Path) -> None:
    done = register_benchmark_folder(EXAMPLE, BundleIdentities(committee.owner, committee.modeller), store)
    model = committee.modeller.containers.get(done.models["logreg"].container_id)

    assert model.source_archive_url and model.source_archive_sha256
    source = file_url_path(model.source_archive_url)
    assert sha256_file(source) == model.source_archive_sha256
    with tarfile.open(source) as tar:
        names = set(tar.getnames())
    assert {"container_config.yaml", "infer_logreg.py", "parameters.yaml"} <= names
    assert not any(name.startswith("additional_files") or "__pycache__" in name for name in names)

    assert model.additional_files_url and model.additional_files_sha256
    with tarfile.open(file_url_path(model.additional_files_url)) as tar:
        assert "weights.json" in tar.getnames()
    assert model.parameters == {"weights_file": "weights.json"}
    assert model.image == "medperf/breast-cancer-logreg:1.0" and model.image_digest is None


def test_registering_again_reuses_everything(committee: Committee, store: ObjectStore) -> None:
    who = BundleIdentities(committee.owner, committee.modeller)
    first = register_benchmark_folder(EXAMPLE, who, store)
    again = register_benchmark_folder(EXAMPLE, who, store)

    assert again.created == []
    assert again.benchmark.id == first.benchmark.id
    assert {k: m.id for k, m in again.models.items()} == {k: m.id for k, m in first.models.items()}
    assert committee.owner.benchmarks.list(owner_id=committee.owner.users.me().id).count == 1


def test_changed_container_after_registration_is_refused(committee: Committee, store: ObjectStore,
                                                         tmp_path: Path) -> None:
    copy = tmp_path / "bench"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("data", "__pycache__"))
    shutil.copytree(EXAMPLE / "data" / "demo", copy / "data" / "demo")
    who = BundleIdentities(committee.owner, committee.modeller)
    register_benchmark_folder(copy, who, store)
    (copy / "containers" / "evaluator" / "parameters.yaml").write_text("bootstrap_resamples: 10\n")

    with pytest.raises(ConfigError, match=r"evaluator.*already registered .* with other content"):
        register_benchmark_folder(copy, who, store)
