"""The examples' containers run from their folders under the sandbox runner, as a site without docker runs them."""

from pathlib import Path

from medperf.containers.config import load_container_config
from medperf.containers.sandbox_runner import SandboxRunner
from medperf.containers.spec import ContainerSpec
from medperf.settings import SiteSettings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example_container(example: str, container: str, image: str) -> ContainerSpec:
    """examples/<example>/containers/<container> as a spec: its config, code, parameters and additional files."""
    folder = EXAMPLES / example / "containers" / container
    additional = folder / "additional_files"
    return ContainerSpec(
        name=container,
        config=load_container_config(folder / "container_config.yaml"),
        image=image,
        source_dir=folder,
        parameters_file=folder / "parameters.yaml",
        additional_files_dir=additional if additional.is_dir() else None,
    )


def sandbox_runner(data_root: Path) -> SandboxRunner:
    """The sandbox runner without bubblewrap isolation (allow_unisolated), a 300 s task timeout."""
    return SandboxRunner(SiteSettings(allow_unisolated=True, task_timeout_seconds=300, data_root=data_root))
