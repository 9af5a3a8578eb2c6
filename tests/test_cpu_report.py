"""The per-module CPU report: spans close when the next module starts, the table sorts by CPU."""

import json
import subprocess
import sys
import time
from pathlib import Path

from support.cpu_report import ModuleClock, cpu_seconds, table


def test_each_module_gets_one_span_and_the_table_puts_the_costliest_first(tmp_path: Path) -> None:
    clock = ModuleClock(tmp_path / "gw0.jsonl")
    clock.switch("tests/a.py")
    sum(i * i for i in range(300_000))  # some CPU in module a
    clock.switch("tests/b.py")
    clock.switch(None)
    records = [json.loads(line) for line in (tmp_path / "gw0.jsonl").read_text().splitlines()]
    assert [r["module"] for r in records] == ["tests/a.py", "tests/b.py"]
    (tmp_path / "gw1.jsonl").write_text(json.dumps({"module": "tests/c.py", "wall_s": 9.0, "cpu_s": 99.0}) + "\n")
    lines = table(tmp_path).splitlines()
    assert "tests/c.py" in lines[1] and "gw1" in lines[1]
    assert lines[-1].split()[0] == f"{99.0 + sum(r['cpu_s'] for r in records):.1f}"


BURN_THEN_WAIT = """
import sys, time
start = time.process_time()
while time.process_time() - start < 1.0:
    pass
sys.stdout.write("x")
sys.stdout.flush()
time.sleep(60)
"""


def test_a_running_childs_cpu_counts_before_it_is_reaped() -> None:
    before = cpu_seconds()
    child = subprocess.Popen([sys.executable, "-c", BURN_THEN_WAIT], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.read(1) == b"x"
        time.sleep(0.1)
        assert cpu_seconds() - before >= 0.9  # the child burned 1 s and still runs
    finally:
        child.kill()
        child.wait()
