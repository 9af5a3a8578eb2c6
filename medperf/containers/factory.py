"""Choose the site's container runner from its settings."""

from medperf.containers.spec import ContainerRunner
from medperf.settings import SiteSettings


def make_runner(settings: SiteSettings) -> ContainerRunner:
    """DockerRunner when settings.runner == 'docker', else SandboxRunner."""
    if settings.runner == "docker":
        from medperf.containers.docker_runner import DockerRunner

        return DockerRunner(settings)
    from medperf.containers.sandbox_runner import SandboxRunner

    return SandboxRunner(settings)
