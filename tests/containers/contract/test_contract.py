"""DESIGN.md's container contract, variant by variant, each run through both runners and checked by its outputs.

| variant                                              | project                |
|------------------------------------------------------|------------------------|
| run_args omitted: the Dockerfile's ENTRYPOINT + CMD  | evaluator_entrypoint   |
| evaluate's optional local_outputs_path (site only)   | evaluator_entrypoint   |
| code at /project named in the command (MedPerf layout,
|   workspace/parameters.yaml, workspace/additional_files) | model_medperf_layout |
| prepare's metadata_path and report_file; metadata_path
|   read by sanity_check and statistics (flat layout)  | prep_metadata          |
| the older mlcube.yaml (task + --name=path arguments) | model_mlcube           |
| the container's own requirements.txt environment     | model_requirements     |
| DockerArchive (`docker save` file in the project)    | model_archive          |
"""

import shutil
from pathlib import Path

import docker
import pytest
import yaml

from medperf.errors import ContainerTaskFailed
from medperf.site import container_steps

from ..conftest import build_image
from .conftest import PROJECTS, Site, make_site, read_cases, write_cases


def test_without_run_args_the_entrypoint_and_cmd_run_and_local_outputs_stay_local(site: Site) -> None:
    spec = site.container(PROJECTS / "evaluator_entrypoint", "contract-evaluator")
    assert spec.config.tasks["evaluate"].run_args.command is None
    labels = write_cases(site.root / "labels", {"c1": 1, "c2": 0, "c3": 1, "c4": 1})
    predictions = write_cases(site.root / "predictions", {"c1": 1, "c2": 0, "c3": 0, "c4": 1})
    ctx = site.step(spec, "evaluate")

    results = container_steps.evaluate(ctx, predictions, labels)

    # CMD gave --metric accuracy; the cwd is the Dockerfile's WORKDIR; the parameters came from workspace/.
    assert yaml.safe_load(results.read_text()) == {"accuracy": 0.75, "positives": 3, "cwd": "/project"}
    local = container_steps.local_outputs_dir(ctx) / "per_case.csv"
    assert local.read_text().splitlines() == ["c1.txt,1", "c2.txt,1", "c3.txt,0", "c4.txt,1"]
    assert local.parent.is_relative_to(ctx.work_dir)


def test_medperf_layout_code_at_project_with_workspace_parameters_and_additional_files(site: Site) -> None:
    spec = site.container(PROJECTS / "model_medperf_layout", "contract-medperf-layout")
    assert spec.parameters_file is not None and yaml.safe_load(spec.parameters_file.read_text()) == {"threshold": 10}
    data = write_cases(site.root / "data", {"c1": 3, "c2": 5, "c3": 7})

    predictions = container_steps.infer(site.step(spec, "infer"), data)

    # value * scale (2, from workspace/additional_files/weights.yaml) >= threshold (10, workspace/parameters.yaml)
    assert read_cases(predictions) == {"c1": "0", "c2": "1", "c3": "1"}


def test_prepare_writes_metadata_and_report_that_sanity_check_and_statistics_read(site: Site) -> None:
    spec = site.container(PROJECTS / "prep_metadata", "contract-prep")
    raw = write_cases(site.root / "raw" / "data", {"c1": 1, "c2": 2})
    raw_labels = write_cases(site.root / "raw" / "labels", {"c1": 0, "c2": 1})

    prepared = container_steps.prepare(site.step(spec, "prepare"), raw, raw_labels)
    assert read_cases(prepared.data) == {"c1": "3.0", "c2": "6.0"}  # scale 3 from parameters.yaml
    assert read_cases(prepared.labels) == {"c1": "0", "c2": "1"}
    assert sorted(path.name for path in prepared.metadata.iterdir()) == ["c1.json", "c2.json"]
    assert prepared.report is not None and yaml.safe_load(prepared.report.read_text()) == {
        "num_cases": 2, "status": "done"}  # fmt: skip

    container_steps.sanity_check(site.step(spec, "sanity"), prepared.data, prepared.labels, prepared.metadata)
    stats = container_steps.statistics(site.step(spec, "statistics"), prepared.data, prepared.labels,
                                       prepared.metadata)
    assert yaml.safe_load(stats.read_text()) == {"num_cases": 2, "mean": 4.5, "metadata_files": 2}

    (prepared.metadata / "c2.json").unlink()  # the container's own check reads the metadata
    with pytest.raises(ContainerTaskFailed, match="step 'sanity_check' .* exit code 3"):
        container_steps.sanity_check(site.step(spec, "sanity"), prepared.data, prepared.labels, prepared.metadata)


def test_mlcube_yaml_runs_its_entrypoint_with_task_and_named_arguments(site: Site) -> None:
    spec = site.container(PROJECTS / "model_mlcube", "contract-mlcube")
    infer = spec.config.tasks["infer"]
    assert infer.run_args.entrypoint is None and infer.run_args.command is not None
    assert infer.run_args.command[0] == "infer"
    assert set(spec.config.tasks) == {"infer"}  # train is not a MedPerf task
    data = write_cases(site.root / "data", {"c1": 1, "c2": 2.5})

    predictions = container_steps.infer(site.step(spec, "infer"), data)

    # value * weight (10, additional_files/weights.yaml passed as --weights) + offset (1, parameters.yaml)
    assert read_cases(predictions) == {"c1": "11.0", "c2": "26.0"}


def test_the_container_runs_in_its_own_requirements_environment(site: Site) -> None:
    import threadpoolctl

    assert threadpoolctl.__version__ != "3.5.0"  # the site's own environment has another version
    spec = site.container(PROJECTS / "model_requirements", "contract-requirements")
    data = write_cases(site.root / "data", {"c1": 1})

    predictions = container_steps.infer(site.step(spec, "infer"), data)

    facts = dict(line.split(" ", 1) for line in (predictions / "environment.txt").read_text().splitlines())
    assert facts["threadpoolctl"] == "3.5.0"
    assert facts["cases"] == "1"
    if site.kind == "sandbox":
        assert facts["prefix"].startswith(str(site.settings.env_cache))


@pytest.mark.docker
@pytest.mark.parametrize("kind", ["sandbox", "docker"])
def test_docker_archive_is_accepted_and_runs(kind: str, request: pytest.FixtureRequest, tmp_path: Path,
                                             docker_client: docker.DockerClient) -> None:
    project = tmp_path / "model_archive"
    shutil.copytree(PROJECTS / "model_archive", project)
    tag = "medperf/contract-archive:1.0"
    image_id = build_image(docker_client, project, tag)
    with open(project / "image.tar", "wb") as handle:
        for chunk in docker_client.images.get(tag).save(named=True):
            handle.write(chunk)
    docker_client.images.remove(tag, force=True)  # the site must load it from the archive
    site = make_site(kind, request, tmp_path)
    record = site.register(project, "contract-archive")
    assert record.image_digest == image_id and record.image == tag and record.image_archive_sha256
    spec = site.container(project, "contract-archive")
    data = write_cases(site.root / "data", {"c1": 1, "c2": 2, "c3": 3})

    predictions = container_steps.infer(site.step(spec, "infer"), data)

    assert (predictions / "count.txt").read_text() == "3 cases from /opt/model\n"
    if kind == "docker":
        assert docker_client.images.get(tag).id == image_id  # loaded from the verified archive
