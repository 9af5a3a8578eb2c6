"""Print JSON figures: no-op task overhead of each runner, and folder-hash throughput vs `sha256sum`.

Usage: .venv/bin/python benchmarks/containers.py [--runs 10] [--hash-mb 256] [--no-docker]
Docker: uses $DOCKER_HOST, else starts dockerd with infra/dockerd.sh (needs medperf/base:bookworm).
Targets: docker no-op <= 1 s, sandbox no-op <= 0.2 s, hash throughput ratio >= 0.8.
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from medperf.containers import ContainerSpec, make_runner, parse_container_config
from medperf.hashing import sha256_folder
from medperf.settings import SiteSettings

ROOT = Path(__file__).resolve().parents[1]
BASE_IMAGE = "medperf/base:bookworm"
NOOP = {
    "tasks": {
        "infer": {
            "run_args": {"command": ["true"]},
            "input_volumes": {"data_path": {"mount_path": "/mlcommons/volumes/data", "type": "directory"}},
            "output_volumes": {"output_path": {"mount_path": "/mlcommons/volumes/out", "type": "directory"}},
        }
    }
}


def _median_seconds(action: Callable[[], object], runs: int) -> float:
    action()  # warm-up: image cache, bwrap probe
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def noop_overhead(kind: str, runs: int, work: Path, docker_host: str | None = None) -> float:
    """Median wall time of runner.run() for a task that does nothing."""
    settings = SiteSettings(runner=kind, docker_host=docker_host)
    runner = make_runner(settings)
    image_id = None
    if kind == "docker":
        import docker

        image_id = docker.DockerClient(base_url=docker_host).images.get(BASE_IMAGE).id
    spec = ContainerSpec("noop", parse_container_config(NOOP), BASE_IMAGE, image_id, None, None, None)
    (work / "in").mkdir(exist_ok=True)
    mounts = {"data_path": work / "in", "output_path": work / "out"}

    def once() -> None:
        result = runner.run(spec, "infer", mounts, log_dir=work / "logs")
        if result.exit_code != 0:
            raise SystemExit(f"{kind} no-op failed: {result.log_tail}")

    return _median_seconds(once, runs)


def hash_ratio(work: Path, total_mb: int, files: int = 64) -> dict[str, float]:
    """sha256sum time / sha256_folder time over the same files (>= 1 means we are as fast)."""
    folder = work / "hash"
    folder.mkdir()
    size = total_mb * 1024 * 1024 // files
    for index in range(files):
        sub = folder / f"d{index % 4}"
        sub.mkdir(exist_ok=True)
        with open(sub / f"f{index}.bin", "wb") as handle:
            handle.write(os.urandom(size))
    paths = sorted(str(p) for p in folder.rglob("*.bin"))

    def ours() -> None:
        sha256_folder(folder)

    def coreutils() -> None:
        subprocess.run(["sha256sum", *paths], check=True, stdout=subprocess.DEVNULL)

    ours_s = _median_seconds(ours, 3)
    coreutils_s = _median_seconds(coreutils, 3)
    return {
        "hash_mb": float(total_mb),
        "sha256_folder_mb_s": round(total_mb / ours_s, 1),
        "sha256sum_mb_s": round(total_mb / coreutils_s, 1),
        "hash_throughput_ratio": round(coreutils_s / ours_s, 2),
    }


def main() -> None:
    """Measure and print the figures as one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--hash-mb", type=int, default=256)
    parser.add_argument("--no-docker", action="store_true")
    args = parser.parse_args()
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="medperf-bench-") as tmp:
        work = Path(tmp)
        (work / "sandbox").mkdir()
        figures["sandbox_noop_s"] = round(noop_overhead("sandbox", args.runs, work / "sandbox"), 3)
        if not args.no_docker:
            host = (
                os.environ.get("DOCKER_HOST")
                or subprocess.run(
                    ["bash", str(ROOT / "infra" / "dockerd.sh")], capture_output=True, text=True, check=True
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            (work / "docker").mkdir()
            figures["docker_noop_s"] = round(noop_overhead("docker", args.runs, work / "docker", host), 3)
        figures.update(hash_ratio(work, args.hash_mb))
    figures["targets"] = {"docker_noop_s": 1.0, "sandbox_noop_s": 0.2, "hash_throughput_ratio": 0.8}
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
