"""Lifecycle commands: set-operational, edit and withdraw for each entity; `auth login --no-activate`."""

import json
from collections.abc import Callable
from pathlib import Path

from medperf.cli.local_server import LocalRegistry

from .medperf_runner import MedPerfCli
from .test_cli_flow import login_new_user, submit_container


def _error(medperf: MedPerfCli, *args: str) -> str:
    result = medperf(*args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_login_no_activate_adds_the_profile_and_keeps_the_active_one(
    medperf: MedPerfCli, registry: LocalRegistry, admin_profile: str
) -> None:
    user = medperf.json("--profile", admin_profile, "user", "create", "--email", "second@site.example", "--name", "S")
    token = medperf.json("--profile", admin_profile, "token", "create", str(user["id"]))["token"]
    out = medperf.ok("auth", "login", "--token", token, "--server", registry.url, "--profile", "second",
                     "--no-activate").stdout  # fmt: skip
    assert "profile 'second' added; 'admin' stays active" in out
    assert medperf.json("auth", "status")["user"]["is_admin"] is True
    assert medperf.json("--profile", "second", "auth", "status")["user"]["email"] == "second@site.example"
    rows = {row["name"]: row["active"] for row in medperf.json("auth", "ls")}
    assert rows == {"admin": True, "second": False}


def test_committee_edits_sets_operational_and_withdraws_through_the_cli(
    medperf: MedPerfCli, registry: LocalRegistry, admin_profile: str, container_config: Callable[[str], Path]
) -> None:
    login_new_user(medperf, registry, admin_profile, "committee")
    me = ("--profile", "committee")
    prep = submit_container(medperf, "committee", container_config("prepare"), "lc-prep")
    infer = submit_container(medperf, "committee", container_config("infer"), "lc-infer")
    evaluator = submit_container(medperf, "committee", container_config("evaluate"), "lc-eval")
    model = medperf.json(*me, "model", "submit", "--name", "lc-ref", "--container-id", str(infer))["id"]
    bench = medperf.json(*me, "benchmark", "submit", "--name", "lc-bench", "--prep-container", str(prep),
                         "--reference-model", str(model), "--evaluator", str(evaluator))["id"]  # fmt: skip

    assert medperf.json(*me, "container", "edit", str(prep), "--name", "lc-prep-2")["name"] == "lc-prep-2"
    assert "nothing to change; give at least one of --name" in _error(medperf, *me, "container", "edit", str(prep))
    edited = medperf.json(*me, "benchmark", "edit", str(bench), "--description", "chest x-rays")
    assert edited["description"] == "chest x-rays"

    refused = _error(medperf, *me, "benchmark", "set-operational", str(bench))
    assert f"benchmark {bench} must be APPROVED before OPERATION" in refused
    medperf.ok("--profile", admin_profile, "benchmark", "approve", str(bench))
    assert "needs its data_preparation_container_id in OPERATION" in _error(
        medperf, *me, "benchmark", "set-operational", str(bench)
    )
    assert "its container is in OPERATION" in _error(medperf, *me, "model", "set-operational", str(model))
    for container in (prep, infer, evaluator):
        assert medperf.json(*me, "container", "set-operational", str(container))["state"] == "OPERATION"
    assert medperf.json(*me, "model", "set-operational", str(model))["state"] == "OPERATION"
    assert medperf.json(*me, "benchmark", "set-operational", str(bench))["state"] == "OPERATION"
    frozen = _error(medperf, *me, "container", "edit", str(prep), "--name", "again")
    assert f"container {prep} is in OPERATION and frozen" in frozen
    policy = medperf.home.parent / "policy.yaml"
    policy.write_text("min_cell_count: 10\n")
    policy_refused = _error(medperf, *me, "benchmark", "edit", str(bench), "--policy", str(policy))
    assert f"release_policy: benchmark {bench} is in OPERATION and frozen" in policy_refused
    assert medperf.json(*me, "benchmark", "edit", str(bench), "--description", "v2")["description"] == "v2"

    assert f"is used by benchmark {bench}" in _error(medperf, *me, "container", "withdraw", str(prep))
    withdrawn = medperf.json(*me, "benchmark", "withdraw", str(bench))
    assert withdrawn["withdrawn_at"] is not None
    medperf.ok(*me, "model", "withdraw", str(model))
    for container in (prep, infer, evaluator):
        medperf.ok(*me, "container", "withdraw", str(container))
    assert medperf.json(*me, "benchmark", "ls", "--owner", str(withdrawn["owner_id"]))["items"] == []
    viewed = json.loads(medperf.ok(*me, "benchmark", "view", str(bench), "--json").stdout)
    assert viewed["withdrawn_at"] == withdrawn["withdrawn_at"]
    assert f"benchmark {bench} is already withdrawn" in _error(medperf, *me, "benchmark", "withdraw", str(bench))
