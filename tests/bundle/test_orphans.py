"""A committee's mistakes leave no unremovable orphans: failures name the withdraw commands that clean up."""

import re
import shutil
from pathlib import Path

import pytest
import yaml

from medperf.bundle import BundleIdentities, register_benchmark_folder
from medperf.client import RegistryClient
from medperf.errors import ConfigError
from medperf.storage import ObjectStore

from .conftest import EXAMPLE, Committee


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "bench"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("site-*", "__pycache__"))
    return target


def rename_benchmark(folder: Path, name: str) -> None:
    path = folder / "benchmark" / "benchmark.yaml"
    data = yaml.safe_load(path.read_text())
    data["name"] = name
    path.write_text(yaml.safe_dump(data))


def run_withdraw_commands(message: str, who: BundleIdentities) -> int:
    """Do what the message says, each as the owner of the entity; returns how many were withdrawn."""
    commands = re.findall(r"`medperf (container|model|benchmark) withdraw (\d+)`", message)
    for kind, entity_id in commands:
        api_of = {"container": "containers", "model": "models", "benchmark": "benchmarks"}[kind]
        for client in (who.benchmark_owner, who.models_by):
            owner = getattr(client, api_of).get(int(entity_id)).owner_id
            if owner == client.users.me().id:
                getattr(client, api_of).withdraw(int(entity_id))
                break
    return len(commands)


def live_names(client: RegistryClient) -> set[str]:
    me = client.users.me().id
    return {c.name for c in client.containers.list(owner_id=me).items} | {
        b.name for b in client.benchmarks.list(owner_id=me).items
    }


def test_a_renamed_retry_names_the_commands_that_withdraw_what_it_left(
    committee: Committee, store: ObjectStore, folder: Path
) -> None:
    who = BundleIdentities(committee.owner, committee.modeller)
    first = register_benchmark_folder(folder, who, store)
    rename_benchmark(folder, "wdbc-renamed")
    with pytest.raises(ConfigError) as failed:
        register_benchmark_folder(folder, who, store)
    message = str(failed.value)
    assert f"benchmark {first.benchmark.id} is pending" in message
    assert f"`medperf benchmark withdraw {first.benchmark.id}`" in message
    assert "this run registered " in message and message.count("`medperf ") > 2
    assert "wdbc-renamed-evaluator" in live_names(committee.owner)

    run_withdraw_commands(message.split("this run registered", 1)[1], who)  # what the retry left
    committee.owner.benchmarks.withdraw(first.benchmark.id)  # and the mistake itself
    assert "wdbc-renamed-evaluator" not in live_names(committee.owner)
    again = register_benchmark_folder(folder, who, store)
    assert again.benchmark.name == "wdbc-renamed" and again.benchmark.approval_status.value == "PENDING"


def test_a_changed_container_names_the_real_fix_and_withdrawing_frees_the_name(
    committee: Committee, store: ObjectStore, folder: Path
) -> None:
    who = BundleIdentities(committee.owner, committee.modeller)
    first = register_benchmark_folder(folder, who, store)
    (folder / "containers" / "evaluator" / "parameters.yaml").write_text("bootstrap_resamples: 10\n")
    with pytest.raises(ConfigError) as failed:
        register_benchmark_folder(folder, who, store)
    message = str(failed.value)
    assert "image tag" not in message.split("(", 1)[0] and "not the image tag" in message
    assert f"`medperf container withdraw {first.evaluator.id}`" in message
    committee.owner.benchmarks.withdraw(first.benchmark.id)  # what uses the evaluator goes first
    committee.owner.containers.withdraw(first.evaluator.id)
    again = register_benchmark_folder(folder, who, store)
    assert again.evaluator.id != first.evaluator.id and again.prep.id == first.prep.id
    assert again.benchmark.id != first.benchmark.id
    assert again.created == [
        f"container {again.evaluator.name} (id {again.evaluator.id})",
        f"benchmark {again.benchmark.name} (id {again.benchmark.id})",
    ]
