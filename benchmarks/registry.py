"""Registry throughput: seed 10,000 results, then time result-page reads and result creation over HTTP.

Run: .venv/bin/python benchmarks/registry.py [--database-url postgresql+psycopg://...] [--workers 2]
Prints one JSON object: requests/s, p50 and p95 (ms) for reads and for creations, and the CPU time the
server processes spent per request (from /proc; steadier than requests/s on a shared, loaded machine).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert
from sqlmodel import Session, col, select

from medperf.server.admin import create_admin
from medperf.server.db import make_engine
from medperf.server.services.users import issue_token
from medperf.server.tables import (
    Benchmark,
    Container,
    Dataset,
    DatasetAssociation,
    Model,
    ModelAssociation,
    Result,
    User,
    utcnow,
)
from medperf.settings import ServerSettings

N_MODELS, N_DATASETS = 50, 200
CONFIG = {"tasks": {"infer": {"run_args": {"command": "python infer.py"}}}}


@dataclass(frozen=True)
class Seeded:
    """What the measurement needs from the seeded database."""

    benchmark_id: int
    bench_token: str
    data_token: str
    dataset_ids: list[int]
    model_ids: list[int]


def _user(session: Session, email: str) -> tuple[int, str]:
    user = User(email=email, name=email.split("@")[0])
    session.add(user)
    session.commit()
    assert user.id is not None
    _token, clear = issue_token(session, None, user.id)
    return user.id, clear


def seed(settings: ServerSettings) -> Seeded:
    """Insert users, containers, 50 models, one benchmark, 200 datasets and 10,000 results directly."""
    create_admin(settings, "admin@example.org", "Admin")  # also migrates the database
    engine = make_engine(settings.database_url)
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        bench_uid, bench_token = _user(session, "bench@example.org")
        data_uid, data_token = _user(session, "data@example.org")
        model_uid, _ = _user(session, "models@example.org")
        container = Container(name="c", owner_id=bench_uid, config=CONFIG, image="x:1", state="OPERATION")
        session.add(container)
        session.commit()
        cid = container.id or 0
        session.execute(
            insert(Model),
            [
                {
                    "name": f"m{i}",
                    "owner_id": model_uid,
                    "container_id": cid,
                    "version": "1",
                    "state": "OPERATION",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(N_MODELS)
            ],
        )
        session.commit()
        model_ids = [i for i in session.exec(select(Model.id).order_by(col(Model.id))).all() if i is not None]
        bench = Benchmark(
            name="b",
            owner_id=bench_uid,
            data_preparation_container_id=cid,
            reference_model_id=model_ids[0],
            evaluator_container_id=cid,
            release_policy={},
            approval_status="APPROVED",
            state="OPERATION",
            approved_at=now,
        )
        session.add(bench)
        session.commit()
        bid = bench.id
        assert bid is not None
        session.execute(
            insert(Dataset),
            [
                {
                    "name": f"d{i}",
                    "owner_id": data_uid,
                    "site": f"site-{i}",
                    "benchmark_id": bid,
                    "data_preparation_container_id": cid,
                    "raw_data_hash": f"{i:064x}",
                    "prepared_data_hash": f"{i:064x}",
                    "statistics": {"num_cases": 100},
                    "state": "OPERATION",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(N_DATASETS)
            ],
        )
        session.commit()
        dataset_ids = [i for i in session.exec(select(Dataset.id).order_by(col(Dataset.id))).all() if i is not None]
        decided = {"approval_status": "APPROVED", "created_at": now, "decided_at": now}
        session.execute(
            insert(DatasetAssociation),
            [
                {
                    "benchmark_id": bid,
                    "dataset_id": d,
                    "requested_by": data_uid,
                    "decided_by": bench_uid,
                    "policy_version": 1,
                    **decided,
                }
                for d in dataset_ids
            ],
        )
        session.execute(
            insert(ModelAssociation),
            [
                {
                    "benchmark_id": bid,
                    "model_id": m,
                    "requested_by": model_uid,
                    "decided_by": bench_uid,
                    "model_container_id": cid,
                    **decided,
                }
                for m in model_ids
            ],
        )
        session.execute(
            insert(Result),
            [
                {
                    "benchmark_id": bid,
                    "model_id": m,
                    "dataset_id": d,
                    "owner_id": data_uid,
                    "status": "FINALIZED",
                    "metrics": {"auc": 0.5, "f1": 0.4},
                    "partial": False,
                    "created_at": now,
                    "finalized_at": now,
                }
                for m in model_ids
                for d in dataset_ids
            ],
        )
        session.commit()
    engine.dispose()
    return Seeded(bid, bench_token, data_token, dataset_ids, model_ids)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(database_url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """Run the registry under uvicorn in a subprocess and wait (with a deadline) for /health."""
    port = _free_port()
    code = (
        "from medperf.server.admin import run_server; from medperf.settings import ServerSettings; "
        f"run_server(ServerSettings(database_url={database_url!r}, port={port}), workers={workers})"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("server did not answer /health within 60 s")


def server_cpu_seconds(pid: int) -> float:
    """User+system CPU seconds of process `pid` and all its descendants (uvicorn workers); 0 off Linux."""
    proc = Path("/proc")
    if not proc.is_dir():
        return 0.0
    stats: dict[int, tuple[int, float]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    tree, total = {pid}, 0.0
    changed = True
    while changed:
        changed = False
        for child, (parent, _cpu) in stats.items():
            if parent in tree and child not in tree:
                tree.add(child)
                changed = True
    for member in tree:
        total += stats.get(member, (0, 0.0))[1]
    return total


def measure(name: str, clients: int, per_client: int, request: Any, server_pid: int = 0) -> dict[str, float]:
    """Run `per_client` calls of request(client, i) in each of `clients` threads; summarize latencies."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        with httpx.Client(timeout=30) as client:
            for i in range(per_client):
                start = time.perf_counter()
                response = request(client, index * per_client + i)
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    if response.status_code >= 300:
                        errors.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    cpu_before = server_cpu_seconds(server_pid) if server_pid else 0.0
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu = server_cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    if errors:
        raise RuntimeError(f"{name}: {len(errors)} failed requests, first: {errors[0]}")
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "requests_per_s": round(len(ordered) / wall, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "server_cpu_ms_per_request": round(cpu * 1000 / len(ordered), 2),
    }


def main() -> int:
    """Seed, serve, measure, print JSON, stop the server."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file in a temp folder")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--reads", type=int, default=250, help="reads per client")
    parser.add_argument("--creations", type=int, default=100, help="creations per client")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="medperf-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'registry.db'}"
        print(json.dumps(run(url, args), indent=2))
    return 0


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Seed the database at `url`, serve it, measure reads and creations."""
    t0 = time.perf_counter()
    seeded = seed(ServerSettings(database_url=url))
    seed_s = time.perf_counter() - t0
    proc, base = start_server(url, args.workers)
    try:
        read_headers = {"Authorization": f"Bearer {seeded.bench_token}"}
        write_headers = {"Authorization": f"Bearer {seeded.data_token}"}
        pages = N_MODELS * N_DATASETS // 100

        def read(client: httpx.Client, i: int) -> httpx.Response:
            params = {"benchmark_id": seeded.benchmark_id, "limit": 100, "offset": 100 * random.randrange(pages)}
            return client.get(f"{base}/api/v1/results", params=params, headers=read_headers)

        def create(client: httpx.Client, i: int) -> httpx.Response:
            body = {
                "benchmark_id": seeded.benchmark_id,
                "model_id": seeded.model_ids[i % N_MODELS],
                "dataset_id": seeded.dataset_ids[i % N_DATASETS],
                "client_key": f"bench-{os.getpid()}-{i}",
            }
            return client.post(f"{base}/api/v1/results", json=body, headers=write_headers)

        measure("warm-up", 2, 10, read)
        reads = measure("reads", args.clients, args.reads, read, proc.pid)
        creations = measure("creations", args.clients, args.creations, create, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    backend = "postgres" if url.startswith("postgres") else "sqlite"
    return {
        "backend": backend,
        "workers": args.workers,
        "clients": args.clients,
        "seeded_results": 10_000,
        "seed_s": round(seed_s, 1),
        "reads_results_page_limit_100": reads,
        "result_creations": creations,
    }


if __name__ == "__main__":
    sys.exit(main())
