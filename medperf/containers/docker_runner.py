"""Run a container's task with the docker SDK: no network, caller's uid:gid, no capabilities, limits."""

import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests.exceptions
from docker.models.containers import Container
from docker.types import DeviceRequest
from docker.types import Mount as DockerMount

from medperf.containers.mounts import resolve_mounts, task_config
from medperf.containers.spec import ContainerSpec, TaskResult
from medperf.containers.task_log import log_tail, new_log_path
from medperf.errors import ConfigError, HashMismatch
from medperf.settings import SiteSettings

logger = logging.getLogger(__name__)


def docker_client(settings: SiteSettings) -> docker.DockerClient:
    """A client of the site's daemon (SiteSettings.docker_host, else $DOCKER_HOST / the default socket)."""
    try:
        host = settings.docker_host
        client = docker.DockerClient(base_url=host) if host else docker.from_env()
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as err:
        where = settings.docker_host or os.environ.get("DOCKER_HOST", "the default socket")
        raise ConfigError(
            f"cannot reach the docker daemon at {where} ({type(err).__name__}); start dockerd "
            "(infra/dockerd.sh) or set MEDPERF_SITE_DOCKER_HOST"
        ) from None
    return client


def gpu_requests(gpus: str | None) -> list[DeviceRequest]:
    """Docker device requests for the site's gpus setting: 'all', a count, or 'device=0,1'."""
    if gpus is None or gpus.strip() in ("", "0"):
        return []
    value = gpus.strip()
    if value == "all":
        return [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    if value.isdigit():
        return [DeviceRequest(count=int(value), capabilities=[["gpu"]])]
    if value.startswith("device=") and value[len("device=") :]:
        ids = value[len("device=") :].split(",")
        return [DeviceRequest(device_ids=ids, capabilities=[["gpu"]])]
    raise ConfigError(f"MEDPERF_SITE_GPUS: '{gpus}' is not 'all', a count or 'device=0,1'")


def verify_image(client: docker.DockerClient, spec: ContainerSpec) -> str:
    """The local image id of spec.image, refused unless it equals the pinned spec.image_digest."""
    try:
        image = client.images.get(spec.image)
    except docker.errors.ImageNotFound:
        raise ConfigError(
            f"container '{spec.name}': image '{spec.image}' is not on this site; load its archive "
            "(load_image_archive) or build it"
        ) from None
    image_id: str = image.id
    if spec.image_digest is None:
        logger.warning("container %s: image %s is not pinned by digest; running %s", spec.name, spec.image, image_id)
    elif image_id != spec.image_digest:
        raise HashMismatch(
            f"container '{spec.name}': image '{spec.image}' is {image_id}, not the registered "
            f"{spec.image_digest}; refusing to run it — load the registered image"
        )
    return image_id


def _settled_logs(container: Any, settle: bool) -> bytes:
    """The container's output. Docker's log copier may still be writing when `wait` returns; for a failed
    task (whose last lines explain the failure) read again until two reads agree (at most ~2 s)."""
    output = bytes(container.logs(stdout=True, stderr=True))
    deadline = time.monotonic() + 2.0
    while settle and time.monotonic() < deadline:
        time.sleep(0.1)
        again = bytes(container.logs(stdout=True, stderr=True))
        if again == output:
            break
        output = again
    return output


def _oom_killed(container: Container) -> bool:
    """Whether the kernel killed the container for passing its memory limit (docker's State.OOMKilled)."""
    container.reload()
    return bool(container.attrs.get("State", {}).get("OOMKilled"))


class DockerRunner:
    """The container contract on a Docker daemon."""

    def __init__(self, settings: SiteSettings, client: docker.DockerClient | None = None) -> None:
        self.settings = settings
        self._client = client

    @property
    def client(self) -> docker.DockerClient:
        """The daemon client, connected on first use."""
        if self._client is None:
            self._client = docker_client(self.settings)
        return self._client

    def _create(self, spec: ContainerSpec, task: str, image_id: str, mounts: Mapping[str, Path]) -> Container:
        config = task_config(spec, task)
        resolved = resolve_mounts(spec, task, mounts)
        memory = f"{self.settings.memory_limit_mb}m"
        kwargs: dict[str, Any] = {
            "environment": {"HOME": "/tmp", "PYTHONUNBUFFERED": "1", **config.run_args.environment},
            "user": f"{os.getuid()}:{os.getgid()}",
            "network_mode": "none",
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "mem_limit": memory,
            "memswap_limit": memory,
            "nano_cpus": int(self.settings.cpu_limit * 1e9),
            "pids_limit": self.settings.pids_limit,
            "mounts": [
                DockerMount(m.mount_path, str(m.host_path), type="bind", read_only=m.read_only) for m in resolved
            ],
            "labels": {"org.medperf.container": spec.name, "org.medperf.task": task},
            "detach": True,
        }
        # Without run_args the image's own ENTRYPOINT and CMD run (an entrypoint given here drops the image's CMD).
        if config.run_args.command is not None:
            kwargs["command"] = list(config.run_args.command)
        if config.run_args.entrypoint is not None:
            kwargs["entrypoint"] = list(config.run_args.entrypoint)
        if config.run_args.shm_size is not None:
            kwargs["shm_size"] = config.run_args.shm_size
        devices = gpu_requests(self.settings.gpus)
        if devices:
            kwargs["device_requests"] = devices
        return self.client.containers.create(image_id, **kwargs)

    def run(
        self,
        spec: ContainerSpec,
        task: str,
        mounts: Mapping[str, Path],
        *,
        log_dir: Path,
        timeout_s: float | None = None,
    ) -> TaskResult:
        """Run one task in a fresh container; its output goes to the site's log file."""
        task_config(spec, task)
        image_id = verify_image(self.client, spec)
        timeout = float(timeout_s if timeout_s is not None else self.settings.task_timeout_seconds)
        memory_mb = self.settings.memory_limit_mb
        container = self._create(spec, task, image_id, mounts)
        log_path = new_log_path(log_dir, task)
        started = time.monotonic()
        timed_out = False
        try:
            container.start()
            try:
                exit_code = int(container.wait(timeout=timeout)["StatusCode"])
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
                timed_out = True
                container.kill()
                exit_code = int(container.wait(timeout=60)["StatusCode"])
            duration = time.monotonic() - started
            oom_killed = exit_code != 0 and _oom_killed(container)
            output = _settled_logs(container, settle=exit_code != 0)
            with open(log_path, "ab") as log:
                log.write(output)
                if timed_out:
                    log.write(f"\n[medperf] task '{task}' passed its timeout of {timeout:g}s and was killed\n".encode())
                elif oom_killed:
                    log.write(f"\n[medperf] task '{task}' passed its memory limit of {memory_mb} MB and was "
                              "killed\n".encode())
            # Docker reads stdout and stderr through separate pipes, so their interleaving in the
            # combined log is not exact; a crash's reason is on stderr, so its last lines always count.
            # (Docker's `tail` counts lines of both streams before filtering, so take stderr whole.)
            stderr = bytes(container.logs(stdout=False, stderr=True))[-4096:]
            stderr_tail = "\n".join(stderr.decode(errors="replace").strip().splitlines()[-3:])
        finally:
            container.remove(force=True)
        tail = log_tail(log_path)
        missing = [line for line in stderr_tail.splitlines() if line and line not in tail]
        if missing and exit_code != 0:
            tail = "\n".join([*tail.splitlines()[len(missing):], *missing])
        return TaskResult(task, exit_code, log_path, tail, duration, timed_out,
                          memory_mb if oom_killed and not timed_out else None)
