"""A task cannot reach the site's secrets, profiles, other datasets or home, nor write outside its outputs —
under both runners. The site's files live where they do on a real site: under the user's home, not in /tmp."""

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from medperf.containers import ContainerSpec, make_runner, parse_container_config, run_checked
from medperf.profiles import Profile, ProfileStore
from medperf.site.approval_code import load_or_create_site_secret, site_secret_path

from .conftest import build_image, site_settings

PROJECT = Path(__file__).parent / "escape_project"
IMAGE = "medperf/test-escape:latest"


@dataclass
class HostSite:
    """A site laid out as in production: $MEDPERF_HOME with its secret and profiles, datasets in the data root."""

    home: Path
    medperf_home: Path
    data_root: Path
    project: Path
    my_data: Path
    other_case: Path
    home_marker: Path
    secrets: list[str]


@pytest.fixture
def host_site(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostSite]:
    tag = uuid.uuid4().hex[:12]
    root = Path.home() / f".medperf-escape-{tag}"
    medperf_home = root / ".medperf"
    data_root = medperf_home / "sites" / "local"
    monkeypatch.setenv("MEDPERF_HOME", str(medperf_home))
    monkeypatch.setenv("MEDPERF_ESCAPE_TOKEN", f"env-secret-{tag}")
    secret = load_or_create_site_secret(medperf_home).decode()
    token = f"tok-{tag}"
    ProfileStore(medperf_home).put("committee", Profile(server_url="http://registry.site", token=token))
    other_case = data_root / "datasets" / "other-site-dataset" / "data" / "case-0001.txt"
    other_case.parent.mkdir(parents=True)
    other_case.write_text(f"OTHER-PATIENT-{tag}\n")
    my_data = data_root / "datasets" / "mine" / "data"
    my_data.mkdir(parents=True)
    (my_data / "case-1.txt").write_text("my case\n")
    project = root / "project"
    shutil.copytree(PROJECT, project)
    home_marker = Path.home() / f".medperf-escape-marker-{tag}"
    home_marker.write_text(f"HOME-FILE-{tag}\n")
    try:
        yield HostSite(Path.home(), medperf_home, data_root, project, my_data, other_case, home_marker,
                       [secret, token, f"OTHER-PATIENT-{tag}", f"HOME-FILE-{tag}", f"env-secret-{tag}"])
    finally:
        shutil.rmtree(root, ignore_errors=True)
        home_marker.unlink(missing_ok=True)


@pytest.mark.parametrize("kind", ["sandbox", pytest.param("docker", marks=pytest.mark.docker)])
def test_a_task_cannot_read_the_site_or_write_outside_its_outputs(kind: str, host_site: HostSite,
                                                                  request: pytest.FixtureRequest) -> None:
    site = host_site
    secret_file = site_secret_path(site.medperf_home)
    profiles = site.medperf_home / "profiles.yaml"
    reads = [str(secret_file), str(profiles), str(site.other_case), str(site.home_marker), "/etc/shadow"]
    lists = [str(site.medperf_home), str(site.data_root), str(site.other_case.parent), str(site.home), "/"]
    writes = {  # path in the container -> where it would land on the host
        str(site.medperf_home / "pwned"): site.medperf_home / "pwned",
        str(site.other_case.parent / "pwned"): site.other_case.parent / "pwned",
        str(site.home / f"pwned-{site.project.parent.name}"): site.home / f"pwned-{site.project.parent.name}",
        "/mlcommons/volumes/data/pwned": site.my_data / "pwned",
        "/workspace/pwned": site.project / "pwned",
        "/pwned": Path("/pwned"),
    }
    targets = {"read": reads, "list": lists, "write": list(writes), "secrets": site.secrets}
    config = parse_container_config({"tasks": {"statistics": {
        "run_args": {"command": ["python3", "/workspace/escape.py", json.dumps(targets), "/mlcommons/volumes/out"]},
        "input_volumes": {"data_path": {"mount_path": "/mlcommons/volumes/data", "type": "directory"}},
        "output_volumes": {"output_path": {"mount_path": "/mlcommons/volumes/out", "type": "directory"}},
    }}})  # fmt: skip
    host = request.getfixturevalue("docker_host") if kind == "docker" else None
    image_id = build_image(request.getfixturevalue("docker_client"), site.project, IMAGE) if kind == "docker" else None
    settings = site_settings(site.data_root.parent, kind, host).model_copy(update={"data_root": site.data_root})
    spec = ContainerSpec(name="escape", config=config, image=IMAGE, image_digest=image_id, source_dir=site.project)
    output = site.data_root / "work" / "statistics"

    run_checked(make_runner(settings), spec, "statistics", {"data_path": site.my_data, "output_path": output},
                log_dir=site.data_root / "work" / "logs")

    report = json.loads((output / "report.json").read_text())
    for path in reads[:-1]:
        assert report["read"][path].startswith("ERR"), (path, report["read"][path])
    host_shadow = Path("/etc/shadow").read_text() if os.access("/etc/shadow", os.R_OK) else None
    assert report["read"]["/etc/shadow"] != host_shadow
    for path in lists[:-2]:
        assert report["list"][path].startswith("ERR"), (path, report["list"][path])
    home_listing = report["list"][str(site.home)]
    assert site.home_marker.name not in home_listing and site.project.parent.name not in home_listing
    assert report["found"] == []  # no visible file holds a secret, a token or another site's data
    assert not any(secret in json.dumps(report["environment"]) for secret in site.secrets)
    assert report["write"]["/mlcommons/volumes/data/pwned"].startswith("ERR")  # inputs are read-only
    if kind == "sandbox":  # the code is the project's own folder, read-only (docker: the image's copy)
        assert report["write"]["/workspace/pwned"].startswith("ERR")
    for host_path in writes.values():
        assert not host_path.exists(), f"{host_path} was written on the host"
    assert sorted(p.name for p in output.iterdir()) == ["report.json"]
