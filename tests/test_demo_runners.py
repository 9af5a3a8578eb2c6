"""`medperf demo --runner`: sandbox, docker, or mixed (site-a on Docker, the other sites sandboxed); nothing else."""

from pathlib import Path

from typer.testing import CliRunner

from medperf.cli.main import app
from medperf.demo.options import DemoOptions


def test_mixed_puts_the_first_site_on_docker_and_registers_the_images(tmp_path: Path) -> None:
    mixed = DemoOptions(home=tmp_path, runner="mixed")
    assert [mixed.site_runner(site) for site in mixed.sites] == ["docker", "sandbox", "sandbox"]
    assert mixed.registration_runner == "docker"


def test_a_single_runner_is_every_sites(tmp_path: Path) -> None:
    for runner in ("sandbox", "docker"):
        options = DemoOptions(home=tmp_path, runner=runner)  # type: ignore[arg-type]
        assert {options.site_runner(site) for site in options.sites} == {runner}
        assert options.registration_runner == runner


def test_an_unknown_runner_is_refused_naming_the_choices(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--runner", "podman", "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert "sandbox, docker or mixed" in result.output
    assert not any(tmp_path.iterdir()), "nothing was started"
