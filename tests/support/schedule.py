"""Longest modules first for the parallel workers, from the wall times a CPU report recorded (durations.json)."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

DURATIONS = Path(__file__).with_name("durations.json")  # module -> wall seconds (cpu_report.py --durations)


def load_durations(path: Path = DURATIONS) -> dict[str, float]:
    """The recorded wall seconds per test module; empty when the file is missing or unreadable."""
    try:
        durations = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(module): float(seconds) for module, seconds in durations.items()} if isinstance(durations, dict) else {}


def longest_first(
    items: list[Any], durations: dict[str, float], group: Callable[[Any], str] | None = None
) -> list[Any]:
    """items with the longest groups first (a group's time: the sum of its modules'); each group stays whole and
    contiguous, in its own order, and groups without a record keep their file order after the recorded ones.

    Without group, each module is its own group.
    """
    group = group or _module
    totals: dict[str, float] = {}
    modules: dict[str, set[str]] = {}
    for item in items:
        modules.setdefault(group(item), set()).add(_module(item))
    for name, members in modules.items():
        totals[name] = sum(durations.get(module, 0.0) for module in members)
    rank = {name: index for index, name in enumerate(sorted(modules, key=lambda name: -totals[name]))}  # stable
    # inside a group, its longest modules first too: the short ones at its end, when xdist already hands the
    # worker its next group (with two tests left), so that group does not wait behind a long test
    return sorted(items, key=lambda item: (rank[group(item)], -durations.get(_module(item), 0.0)))


def _module(item: Any) -> str:
    return str(item.nodeid.split("::")[0])


def merge_durations(records: list[dict[str, Any]], path: Path = DURATIONS) -> dict[str, float]:
    """Write each module's longest wall time of these records into path, keeping the modules they do not name."""
    durations = load_durations(path)
    fresh: dict[str, float] = {}
    for record in records:
        module = str(record["module"])
        if module.startswith("tests/"):
            fresh[module] = max(fresh.get(module, 0.0), round(float(record["wall_s"]), 1))
    durations.update(fresh)
    path.write_text(json.dumps(dict(sorted(durations.items(), key=lambda kv: (-kv[1], kv[0]))), indent=1) + "\n")
    return durations
