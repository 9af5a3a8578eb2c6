"""The registry workflow through `medperf`: admin -> users -> tokens -> login -> submit -> approve."""

import itertools
import json
import stat
from collections.abc import Callable
from pathlib import Path

from medperf.cli.local_server import LocalRegistry

from .medperf_runner import MedPerfCli

_people = itertools.count()


def login_new_user(medperf: MedPerfCli, registry: LocalRegistry, admin: str, role: str) -> tuple[str, int]:
    """As the admin: create a user and a token; then log in with it as profile `role`. Returns (email, id)."""
    email = f"{role}{next(_people)}@cli-tests.example"
    user = medperf.json("--profile", admin, "user", "create", "--email", email, "--name", role.title())
    token = medperf.json("--profile", admin, "token", "create", str(user["id"]))["token"]
    out = medperf.ok("auth", "login", "--token", token, "--server", registry.url, "--profile", role).stdout
    assert email in out and f"profile '{role}' is active" in out
    return email, int(user["id"])


def submit_container(medperf: MedPerfCli, profile: str, path: Path, name: str) -> int:
    created = medperf.json(
        "--profile", profile, "container", "submit", "--name", name, "--config", str(path),
        "--image", f"medperf/{name}:1.0",
    )  # fmt: skip
    return int(created["id"])


def test_admin_creates_users_who_submit_associate_and_approve(
    medperf: MedPerfCli,
    registry: LocalRegistry,
    admin_profile: str,
    container_config: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    profiles_file = medperf.home / "profiles.yaml"
    assert stat.S_IMODE(profiles_file.stat().st_mode) == 0o600

    status = medperf.json("auth", "status")
    assert status["reachable"] is True and status["user"]["is_admin"] is True

    _, committee_id = login_new_user(medperf, registry, admin_profile, "committee")
    hospital_email, hospital_id = login_new_user(medperf, registry, admin_profile, "hospital")
    assert stat.S_IMODE(profiles_file.stat().st_mode) == 0o600

    prep = submit_container(medperf, "committee", container_config("prepare"), "prep")
    infer = submit_container(medperf, "committee", container_config("infer"), "ref-infer")
    evaluator = submit_container(medperf, "committee", container_config("evaluate"), "evaluator")
    viewed = medperf.json("--profile", "committee", "container", "view", str(prep))
    assert viewed["config"]["tasks"]["prepare"]["run_args"]["command"] == "python3 /workspace/prepare.py"

    model = medperf.json(
        "--profile", "committee", "model", "submit", "--name", "reference", "--container-id", str(infer)
    )
    (tmp_path / "policy.yaml").write_text("min_cell_count: 10\nallowed_metric_keys: [auc]\n")
    (tmp_path / "suite.json").write_text(json.dumps({"name": "suite", "expectations": []}))
    benchmark = medperf.json(
        "--profile", "committee", "benchmark", "submit", "--name", "chest-xray",
        "--prep-container", str(prep), "--reference-model", str(model["id"]), "--evaluator", str(evaluator),
        "--policy", str(tmp_path / "policy.yaml"), "--suite", str(tmp_path / "suite.json"),
    )  # fmt: skip
    assert benchmark["approval_status"] == "PENDING"
    assert benchmark["release_policy"]["min_cell_count"] == 10 and benchmark["owner_id"] == committee_id

    approved = medperf.json("--profile", admin_profile, "benchmark", "approve", str(benchmark["id"]))
    assert approved["approval_status"] == "APPROVED"
    medperf.ok("--profile", "committee", "benchmark", "policy", str(benchmark["id"]), "--mode", "NEVER")

    dataset_file = tmp_path / "dataset.json"
    dataset_file.write_text(
        json.dumps(
            {
                "name": "site-a-xrays", "site": "site-a", "benchmark_id": benchmark["id"],
                "data_preparation_container_id": prep,
                "raw_data_hash": "a" * 64, "prepared_data_hash": "b" * 64,
                "statistics": {"num_cases": 40},
            }
        )
    )  # fmt: skip
    dataset = medperf.json("--profile", "hospital", "dataset", "submit", "--file", str(dataset_file))
    assert dataset["owner_id"] == hospital_id

    bench, data = str(benchmark["id"]), str(dataset["id"])
    requested = medperf.json("--profile", "hospital", "dataset", "associate", "-b", bench, "-d", data)
    assert requested["approval_status"] == "PENDING"

    pending = medperf.json("--profile", "committee", "association", "ls", "--kind", "dataset", "-b", bench)
    assert [a["id"] for a in pending["items"]] == [requested["id"]]
    decided = medperf.json(
        "--profile", "committee", "association", "approve", str(requested["id"]), "--kind", "dataset"
    )
    assert decided["approval_status"] == "APPROVED"

    both = medperf.json("--profile", "hospital", "association", "ls", "-b", bench)
    assert both["dataset"]["items"][0]["approval_status"] == "APPROVED" and both["model"]["count"] == 0

    table = medperf.ok("--profile", "committee", "dataset", "ls", "-b", bench).stdout
    assert "site-a-xrays" in table and "showing 1-1 of 1" in table
    assert "chest-xray" in medperf.ok("--profile", "hospital", "benchmark", "view", bench).stdout
    assert medperf.json("--profile", "hospital", "result", "ls", "-b", bench)["count"] == 0
    audit = medperf.json("--profile", "hospital", "audit", "ls")
    assert audit["count"] >= 2 and {e["actor_id"] for e in audit["items"]} == {hospital_id}
    assert hospital_email in medperf.ok("--profile", "hospital", "auth", "status").stdout


def test_profiles_switch_identities(medperf: MedPerfCli, registry: LocalRegistry, admin_profile: str) -> None:
    owner_email, _ = login_new_user(medperf, registry, admin_profile, "owner")
    site_email, _ = login_new_user(medperf, registry, admin_profile, "site")

    assert medperf.json("auth", "status")["user"]["email"] == site_email  # the last login is active
    medperf.ok("auth", "use", "owner")
    assert medperf.json("auth", "status")["user"]["email"] == owner_email
    assert medperf.json("--profile", "site", "auth", "status")["user"]["email"] == site_email
    by_env = medperf.ok("auth", "status", "--json", env={"MEDPERF_PROFILE": "site"}).stdout
    assert json.loads(by_env)["user"]["email"] == site_email

    listed = {p["name"]: p["active"] for p in medperf.json("auth", "ls")}
    assert listed == {"admin": False, "owner": True, "site": False}
    assert "token" not in medperf.ok("auth", "ls", "--json").stdout


def test_revoked_token_is_reported_by_auth_status(
    medperf: MedPerfCli, registry: LocalRegistry, admin_profile: str
) -> None:
    _, user_id = login_new_user(medperf, registry, admin_profile, "leaver")
    tokens = medperf.json("--profile", admin_profile, "token", "ls", str(user_id))
    medperf.ok("--profile", admin_profile, "token", "revoke", str(tokens["items"][0]["id"]))

    result = medperf("auth", "status", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["reachable"] is True and report["user"] is None and report["error"]
