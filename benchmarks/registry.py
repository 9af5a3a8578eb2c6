"""Registry throughput: seed 1 benchmark, 50 models, 200 datasets, 10,000 results; time each scenario over HTTP.

Run: .venv/bin/python benchmarks/registry.py [--database-url postgresql+psycopg://...] [--workers 2]
Scenarios: list a benchmark's results (page size 32), get one result, create a finished result in one call
(POST /results/finished) and the two-step path (POST /results + /finalize). Prints one JSON object: per
scenario requests/s, p50 and p95 (ms), the CPU time the server processes spent per operation (from
/proc; steadier than requests/s on a shared, loaded machine) and the SQL statements and commits per
operation (counted in-process on the same database); and the resident memory of the server's processes.
The server runs as `medperf server start --workers N`, exactly as deployed.
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


def start_server(database_url: str, workers: int, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Run `medperf server start` in a subprocess and wait (with a deadline) for /health."""
    port = _free_port()
    command = [sys.executable, "-m", "medperf.cli.main", "server", "start", "--port", str(port)]
    command += ["--database-url", database_url, "--workers", str(workers)]
    env = {**os.environ, "MEDPERF_HOME": str(home)}
    log = home / "server.log"  # a file, not a pipe: a pipe nobody drains would stall the workers once full
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=out, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')[-4000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("server did not answer /health within 120 s")


def _process_tree(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    tree, changed = {pid}, True
    while changed:
        changed = False
        for child, parent in parents.items():
            if parent in tree and child not in tree:
                tree.add(child)
                changed = True
    return tree


def server_rss_mb(pid: int) -> float:
    """Resident memory (MB) of the server process and all its descendants."""
    total_kb = 0
    for member in _process_tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return round(total_kb / 1024, 1)


def statement_counts(url: str, seeded: Seeded) -> dict[str, dict[str, int]]:
    """SQL statements and commits per operation of each scenario, counted in-process on the seeded database."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from medperf.server.app import create_app

    app = create_app(ServerSettings(database_url=url), upgrade_db=False)
    engine = app.state.engine
    seen: list[str] = []
    commits: list[int] = []
    engines = {engine, app.state.read_engine}  # reads have a pool of their own on Postgres
    for each in engines:
        event.listen(each, "before_cursor_execute", lambda *args: seen.append(args[2]))
        event.listen(each, "commit", lambda *_: commits.append(1))
    pings: list[int] = []
    real_ping = engine.dialect.do_ping

    def ping(connection: Any) -> bool:
        pings.append(1)
        return bool(real_ping(connection))

    for each in engines:
        each.dialect.do_ping = ping
    read = {"Authorization": f"Bearer {seeded.bench_token}"}
    write = {"Authorization": f"Bearer {seeded.data_token}"}
    base = "/api/v1/results"
    body = {"benchmark_id": seeded.benchmark_id, "model_id": seeded.model_ids[1], "dataset_id": seeded.dataset_ids[1]}
    final = {"metrics": {"auc": 0.5}}
    counts: dict[str, dict[str, int]] = {}
    with TestClient(app) as client:
        client.get(f"{base}/1", headers=read)  # the pool's first connection is not per-request work

        def count(name: str, call: Any) -> None:
            seen.clear()
            commits.clear()
            pings.clear()
            call()
            counts[name] = {"statements": len(seen), "commits": len(commits), "pings": len(pings)}

        count("list_page_32", lambda: client.get(base, params={"benchmark_id": seeded.benchmark_id, "limit": 32},
                                                 headers=read).raise_for_status())  # fmt: skip
        count("get_one", lambda: client.get(f"{base}/1", headers=read).raise_for_status())

        def one_call() -> None:
            sent = {"result": {**body, "client_key": "count-one"}, "final": final}
            client.post(f"{base}/finished", json=sent, headers=write).raise_for_status()

        def two_step() -> None:
            opened = client.post(base, json={**body, "client_key": "count-two"}, headers=write)
            opened.raise_for_status()
            client.post(f"{base}/{opened.json()['id']}/finalize", json=final, headers=write).raise_for_status()

        count("create_finished_one_call", one_call)
        count("create_finished_two_step", two_step)
    for each in engines:
        each.dispose()
    return counts


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
        "server_cpu_ms_per_op": round(cpu * 1000 / len(ordered), 2),
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
    """Seed the database at `url`, serve it, measure every scenario."""
    t0 = time.perf_counter()
    seeded = seed(ServerSettings(database_url=url))
    seed_s = time.perf_counter() - t0
    counts = statement_counts(url, seeded)
    with tempfile.TemporaryDirectory(prefix="medperf-bench-home-") as home:
        proc, base = start_server(url, args.workers, Path(home))
        try:
            figures = _scenarios(base, seeded, args, proc.pid)
            memory = server_rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        server_errors = (Path(home) / "server.log").read_text(errors="replace").count("Traceback")
    for name, figure in figures.items():
        figure.update(counts.get(name, {}))
    backend = "postgres" if url.startswith("postgres") else "sqlite"
    return {
        "backend": backend,
        "workers": args.workers,
        "clients": args.clients,
        "seeded_results": N_MODELS * N_DATASETS,
        "seed_s": round(seed_s, 1),
        "server_rss_mb": memory,
        "server_tracebacks": server_errors,  # in the server's log: any at all means a figure is not to be trusted
        "scenarios": figures,
    }


def _scenarios(base: str, seeded: Seeded, args: argparse.Namespace, pid: int) -> dict[str, dict[str, float]]:
    read_headers = {"Authorization": f"Bearer {seeded.bench_token}"}
    write_headers = {"Authorization": f"Bearer {seeded.data_token}"}
    total = N_MODELS * N_DATASETS
    run_id = f"{os.getpid()}-{time.monotonic_ns()}"

    def list_page(client: httpx.Client, i: int) -> httpx.Response:
        params = {"benchmark_id": seeded.benchmark_id, "limit": 32, "offset": 32 * random.randrange(total // 32)}
        return client.get(f"{base}/api/v1/results", params=params, headers=read_headers)

    def get_one(client: httpx.Client, i: int) -> httpx.Response:
        return client.get(f"{base}/api/v1/results/{random.randrange(1, total)}", headers=read_headers)

    def target(i: int) -> dict[str, int]:
        model, dataset = seeded.model_ids[i % N_MODELS], seeded.dataset_ids[(i // N_MODELS) % N_DATASETS]
        return {"benchmark_id": seeded.benchmark_id, "model_id": model, "dataset_id": dataset}

    def one_call(client: httpx.Client, i: int) -> httpx.Response:
        body = {"result": {**target(i), "client_key": f"one-{run_id}-{i}"}, "final": {"metrics": {"auc": 0.5}}}
        return client.post(f"{base}/api/v1/results/finished", json=body, headers=write_headers)

    def two_step(client: httpx.Client, i: int) -> httpx.Response:
        body = {**target(i), "client_key": f"two-{run_id}-{i}"}
        opened = client.post(f"{base}/api/v1/results", json=body, headers=write_headers)
        if opened.status_code >= 300:
            return opened
        final = {"metrics": {"auc": 0.5}}
        return client.post(f"{base}/api/v1/results/{opened.json()['id']}/finalize", json=final, headers=write_headers)

    measure("warm-up", 2, 10, list_page)
    measure("warm-up", 2, 10, get_one)
    return {
        "list_page_32": measure("list", args.clients, args.reads, list_page, pid),
        "get_one": measure("get", args.clients, args.reads, get_one, pid),
        "create_finished_one_call": measure("one-call", args.clients, args.creations, one_call, pid),
        "create_finished_two_step": measure("two-step", args.clients, args.creations, two_step, pid),
    }


if __name__ == "__main__":
    sys.exit(main())
