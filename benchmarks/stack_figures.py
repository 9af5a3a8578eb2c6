"""What the stack benchmarks share: infra/stack.py loaded as a module, and a process group's resident memory."""

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def stack_module() -> ModuleType:
    """infra/stack.py (Postgres, SeaweedFS, Prefect, MedPerf on this machine), loaded as a module."""
    spec = importlib.util.spec_from_file_location("medperf_infra_stack", ROOT / "infra" / "stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def rss_mb(pgid: int) -> float:
    """Resident memory of every process in the process group, in MB (from /proc)."""
    total_kb = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pgid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except (OSError, ProcessLookupError, ValueError):
            continue
    return round(total_kb / 1024, 1)
