"""What the platform does not run is refused at submission (and again on the site), in one line saying why."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from medperf.bundle import load_container_project
from medperf.errors import ConfigError
from medperf.schemas import ContainerPublic, EntityState
from medperf.site.container_fetch import container_spec
from medperf.storage.local_folder import LocalFolderStore

from .conftest import PROJECTS

REFUSED = {
    "EncryptedDockerArchive": "does not run encrypted containers",
    "SingularityFile": "not Singularity",
    "EncryptedSingularityFile": "runs neither Singularity/Apptainer nor encrypted containers",
    "PodmanImage": "is not a MedPerf container type this platform runs",
}


def _with_type(tmp_path: Path, container_type: str) -> Path:
    project = tmp_path / "project"
    shutil.copytree(PROJECTS / "model_medperf_layout", project)
    config = project / "container_config.yaml"
    data = yaml.safe_load(config.read_text())
    data["container_type"] = container_type
    config.write_text(yaml.safe_dump(data))
    return project


@pytest.mark.parametrize("container_type", list(REFUSED))
def test_unsupported_container_type_is_refused_at_load_in_one_line(tmp_path: Path, container_type: str) -> None:
    project = _with_type(tmp_path, container_type)
    with pytest.raises(ConfigError) as caught:
        load_container_project(project)
    message = str(caught.value)
    assert message.startswith(f"{project / 'container_config.yaml'}: container_type: '{container_type}'")
    assert REFUSED[container_type] in message
    assert "\n" not in message


@pytest.mark.parametrize("container_type", list(REFUSED))
def test_the_site_refuses_it_before_fetching_anything(tmp_path: Path, container_type: str) -> None:
    config = yaml.safe_load((PROJECTS / "model_medperf_layout" / "container_config.yaml").read_text())
    config["container_type"] = container_type
    record = ContainerPublic(
        id=7, name="x", owner_id=1, config=config, parameters=None, image="medperf/x:1", image_digest=None,
        image_archive_url=None, image_archive_sha256=None, additional_files_url=None, additional_files_sha256=None,
        source_archive_url="file:///nowhere.tar.gz", source_archive_sha256="0" * 64, state=EntityState.OPERATION,
        created_at=datetime.now(UTC),
    )  # fmt: skip
    store = LocalFolderStore(tmp_path / "store", tmp_path / "cache")
    with pytest.raises(ConfigError, match=rf"container 7 config: container_type: '{container_type}'"):
        container_spec(record, store, tmp_path / "site")
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(
    ("dockerfile", "refusal"),
    [
        ("FROM a AS build\nRUN make\nFROM medperf/base:bookworm\nCOPY . /app\n", "line 3: a second FROM"),
        ("FROM medperf/base:bookworm\nCOPY --from=build /out /app\n", "line 2: COPY --from"),
        ("FROM medperf/base:bookworm\nADD https://example.org/w.bin /w.bin\n", "line 2: ADD https://"),
        ("FROM medperf/base:bookworm\nADD weights.tar.gz /w/\n", "line 2: ADD weights.tar.gz: Docker would unpack"),
        ("FROM medperf/base:bookworm\nCOPY missing.py /app/\n", "line 2: COPY missing.py: not in the build context"),
    ],
    ids=["multi-stage", "copy-from", "add-url", "add-archive", "missing-source"],
)
def test_dockerfiles_the_sandbox_cannot_follow_are_refused_at_load(tmp_path: Path, dockerfile: str,
                                                                   refusal: str) -> None:
    project = _with_type(tmp_path, "DockerImage")
    (project / "Dockerfile").write_text(dockerfile)
    with pytest.raises(ConfigError) as caught:
        load_container_project(project)
    assert str(caught.value).startswith(f"{project / 'Dockerfile'}: {refusal}")
    assert "\n" not in str(caught.value)
