"""Dispatch benchmark probe: a flow-run process notes when it started and when its flow module was loaded.

benchmarks/dispatch.py puts this folder on the PYTHONPATH of a site's flow runs, with
MEDPERF_DISPATCH_PROBE_LOG (a JSON-lines file) and MEDPERF_DISPATCH_PROBE_FILES (the flow files, os.pathsep
separated). Each process Prefect starts for a run (its workspace supervisor, then the engine it execs) appends:
"process" (the fork time from /proc and the time the interpreter reached this file) and, in the process that
loads the flow, "module_begin" / "module_end" around the flow file's execution. Other processes write nothing.
"""

import json
import os
import sys
import time
from typing import Any

_LOG = os.environ.get("MEDPERF_DISPATCH_PROBE_LOG", "")
_RUN = os.environ.get("PREFECT__FLOW_RUN_ID", "")
_FILES = {os.path.realpath(p) for p in os.environ.get("MEDPERF_DISPATCH_PROBE_FILES", "").split(os.pathsep) if p}


def _forked_at() -> float:
    """Wall-clock time this pid was created (kept across exec), from /proc/self/stat (10 ms ticks)."""
    with open("/proc/self/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    since_boot = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22, starttime
    return time.time() - (time.clock_gettime(time.CLOCK_BOOTTIME) - since_boot)


def _note(event: str, **extra: Any) -> None:
    record = {"run": _RUN, "pid": os.getpid(), "argv": sys.orig_argv[1:4], "event": event, "t": time.time(), **extra}
    with open(_LOG, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


def _watch_flow_files() -> None:
    from importlib.machinery import SourceFileLoader

    plain = SourceFileLoader.exec_module

    def exec_module(self: SourceFileLoader, module: Any) -> None:
        watched = os.path.realpath(self.path) in _FILES
        if watched:
            _note("module_begin", file=self.path)
        plain(self, module)
        if watched:
            _note("module_end", file=self.path)

    SourceFileLoader.exec_module = exec_module  # type: ignore[method-assign,assignment]


if _LOG and _RUN:
    _note("process", forked=_forked_at())
    _watch_flow_files()
