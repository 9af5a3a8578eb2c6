"""Resumes refused under load: stock `prefect server start` on SQLite vs medperf.prefect_server (BEGIN IMMEDIATE).

Starts each server on a fresh SQLite database, pauses N runs, resumes them all at once while writer loops
create runs, states and log lines (a busy site), and prints JSON: accepted / refused resumes per server.
Usage: .venv/bin/python benchmarks/resume_lock.py [--approvals 20] [--writers 4] [--rounds 3]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from medperf.cli.local_server import free_port
from medperf.prefect_load import resume_under_load
from medperf.prefect_server import command as patched_command


def _serve(command: list[str], home: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_UI_ENABLED": "false",
           "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def measure(kind: str, approvals: int, writers: int) -> dict[str, object]:
    """One round on a fresh server of this kind ("stock" or "medperf")."""
    port = free_port()
    stock = [str(Path(sys.executable).with_name("prefect")), "server", "start", "--host", "127.0.0.1",
             "--port", str(port)]
    with tempfile.TemporaryDirectory() as home:
        process = _serve(stock if kind == "stock" else patched_command("127.0.0.1", port), Path(home))
        try:
            api = f"http://127.0.0.1:{port}/api"
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.3)
            figures = resume_under_load(api, approvals, writers).as_dict()
        finally:
            process.terminate()
            process.wait(timeout=30)
    figures["errors"] = sorted(set(figures["errors"]))[:3]  # type: ignore[call-overload]
    return {"server": kind, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--approvals", type=int, default=20)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rounds = [measure(kind, args.approvals, args.writers) for _ in range(args.rounds) for kind in ("stock", "medperf")]
    summary = {kind: sum(int(r["refused"]) for r in rounds if r["server"] == kind) for kind in ("stock", "medperf")}
    print(json.dumps({"rounds": rounds, "refused_resumes_total": summary,
                      "approvals_per_server": args.approvals * args.rounds}, indent=2))


if __name__ == "__main__":
    main()
