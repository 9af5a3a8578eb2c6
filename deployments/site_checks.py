"""Checks `medperf site up` makes before it deploys anything: data root, runner, registry, Prefect API."""


import httpx

from medperf.errors import ConfigError
from medperf.settings import SiteSettings, default_home
from medperf.site.connections import site_registry


def check_data_root(settings: SiteSettings) -> None:
    """The site's data root must exist and be a folder."""
    if not settings.data_root.is_dir():
        raise ConfigError(
            f"MEDPERF_SITE_DATA_ROOT {settings.data_root} is not an existing folder; create it or pass --data-root"
        )


def check_runner(settings: SiteSettings) -> str:
    """The configured runner can run a task here; returns a one-line note (e.g. about missing isolation)."""
    if settings.runner == "docker":
        from medperf.containers.docker_runner import docker_client

        docker_client(settings).close()  # raises ConfigError naming the daemon when it cannot be reached
        return "docker daemon reachable"
    from medperf.containers.python_env import uv_binary
    from medperf.containers.sandbox_runner import SandboxRunner

    uv_binary()  # raises ConfigError when uv (which builds each container's environment) is missing

    problem = SandboxRunner(settings).isolation_problem()
    if problem and not settings.allow_unisolated:
        raise ConfigError(
            f"the sandbox runner cannot isolate tasks here ({problem}); install bubblewrap, "
            "or set MEDPERF_SITE_ALLOW_UNISOLATED=true on a development machine"
        )
    return f"sandbox runner ({'no isolation: ' + problem if problem else 'isolated with bwrap'})"


def check_registry() -> str:
    """The registry named by the site's profile answers /health; returns its URL."""
    with site_registry(default_home()) as registry:
        if not registry.is_reachable():
            raise ConfigError(
                f"the registry {registry.base_url} does not answer; check the site's profile "
                "(`medperf auth login`) and the network"
            )
        return str(registry.base_url)


def check_prefect(api_url: str | None) -> str:
    """The Prefect API answers /health; returns its URL."""
    if not api_url:
        raise ConfigError("PREFECT_API_URL is not set; point it at the Prefect server (e.g. http://host:4200/api)")
    try:
        ok = httpx.get(f"{api_url.rstrip('/')}/health", timeout=5.0).status_code == 200
    except httpx.HTTPError:
        ok = False
    if not ok:
        raise ConfigError(
            f"the Prefect API at {api_url} does not answer /health; start the server or fix PREFECT_API_URL"
        )
    return api_url
