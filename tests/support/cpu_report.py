"""Per test module: the CPU its tests and the processes they started and reaped used (MEDPERF_TEST_CPU_REPORT).

When MEDPERF_TEST_CPU_REPORT names a folder, each pytest process (each xdist worker) appends one JSON line per
module to `<folder>/<worker>.jsonl`: wall seconds and the CPU seconds, over the module, of this process and every
process below it, reaped or running (servers, workers and their flow runs, containers). A process that left the
tree (a daemon whose parent exited) is not counted. `python tests/support/cpu_report.py FOLDER` prints the
modules by CPU (scripts/test.sh does it after pytest); `--durations` also records their wall times in
tests/support/durations.json, the order the parallel workers take the modules in (longest first).
"""

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import pytest

FOLDER_ENV = "MEDPERF_TEST_CPU_REPORT"


def cpu_seconds() -> float:
    """User + system CPU of this process, its reaped children, and its live descendants (with their reaped ones)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total + live_descendants_seconds()


def live_descendants_seconds() -> float:
    """utime + stime + cutime + cstime of every live process below this one (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))  # field 4: ppid
        times[int(entry.name)] = sum(int(value) for value in fields[11:15]) / tick  # fields 14-17
    total, todo = 0.0, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo += children.get(pid, [])
    return total


class ModuleClock:
    """Opens a span when a module's first test starts and closes it when the next module starts (or at the end)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.module: str | None = None
        self.began = (0.0, 0.0)

    def switch(self, module: str | None) -> None:
        now = (time.monotonic(), cpu_seconds())
        if self.module is not None:
            record = {"module": self.module, "wall_s": round(now[0] - self.began[0], 1),
                      "cpu_s": round(now[1] - self.began[1], 1)}
            with self.out.open("a") as file:
                file.write(json.dumps(record) + "\n")
        self.module, self.began = module, now


_clock: ModuleClock | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _clock
    folder = os.environ.get(FOLDER_ENV)
    if folder:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        Path(folder).mkdir(parents=True, exist_ok=True)
        _clock = ModuleClock(Path(folder) / f"{worker}.jsonl")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if _clock is not None and _clock.module != item.nodeid.split("::")[0]:
        _clock.switch(item.nodeid.split("::")[0])


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _clock is not None:
        _clock.switch("(session end)")
        _clock.switch(None)


def records(folder: Path) -> list[dict[str, Any]]:
    """Every module span the workers wrote into folder, with its worker's name."""
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.jsonl")):
        rows += [json.loads(line) | {"worker": path.stem} for line in path.read_text().splitlines() if line]
    return rows


def table(folder: Path, top: int = 20) -> str:
    """The modules by CPU, with their wall time and the totals."""
    rows = records(folder)
    rows.sort(key=lambda row: -row["cpu_s"])
    lines = [f"{'cpu s':>7} {'wall s':>7}  worker  module"]
    lines += [f"{r['cpu_s']:7.1f} {r['wall_s']:7.1f}  {r['worker']:<6}  {r['module']}" for r in rows[:top]]
    lines.append(f"{sum(r['cpu_s'] for r in rows):7.1f} {'':7}  total over {len(rows)} modules")
    lines.append("per worker (the one with the most wall time bounds the run):")
    for worker in sorted({r["worker"] for r in rows}):
        mine = [r for r in rows if r["worker"] == worker]
        longest = ", ".join(f"{r['module'].rsplit('/', 1)[-1]} {r['wall_s']:.0f}" for r in
                            sorted(mine, key=lambda row: -row["wall_s"])[:3])  # fmt: skip
        lines.append(f"{sum(r['cpu_s'] for r in mine):7.1f} {sum(r['wall_s'] for r in mine):7.1f}  {worker:<6}  "
                     f"{len(mine)} modules; longest: {longest}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(Path(sys.argv[1])))
    if sys.argv[2:3] == ["--durations"]:  # record the wall times the workers' schedule orders by (schedule.py)
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the support package
        from support.schedule import merge_durations

        merge_durations(records(Path(sys.argv[1])))
