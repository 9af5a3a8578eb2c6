"""process_alive: a running process is alive; an exited one is not, even before its parent reaps it."""

import os
import subprocess
import sys
import time
from pathlib import Path

from medperf.process_alive import process_alive

# A parent that starts a child which exits at once, prints the child's pid and never reaps it.
NEGLECTFUL_PARENT = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "pass"])
print(child.pid, flush=True)
time.sleep(60)
"""


def state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_an_exited_process_nobody_reaped_is_not_alive() -> None:
    parent = subprocess.Popen([sys.executable, "-c", NEGLECTFUL_PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert process_alive(parent.pid)
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        deadline = time.monotonic() + 30
        while state(pid) != "Z":
            assert time.monotonic() < deadline, "the child exits"
            time.sleep(0.01)
        os.kill(pid, 0)  # the kernel still has it (its parent has not reaped it): kill(0) alone says alive
        assert not process_alive(pid)
    finally:
        parent.kill()
        parent.wait()
    assert not process_alive(parent.pid)
