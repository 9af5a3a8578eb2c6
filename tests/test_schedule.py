"""The workers' order: longest recorded modules first, each module whole, unrecorded ones after in file order."""

import json
from dataclasses import dataclass
from pathlib import Path

from support.schedule import DURATIONS, load_durations, longest_first, merge_durations


@dataclass
class Item:
    nodeid: str


def test_longest_modules_go_first_and_each_module_stays_whole_in_its_own_order() -> None:
    items = [Item(n) for n in ("tests/a.py::t1", "tests/a.py::t2", "tests/b.py::t1", "tests/c.py::t1",
                               "tests/c.py::t2", "tests/d.py::t1")]
    ordered = longest_first(items, {"tests/c.py": 90.0, "tests/b.py": 10.0})
    assert [i.nodeid for i in ordered] == ["tests/c.py::t1", "tests/c.py::t2", "tests/b.py::t1", "tests/a.py::t1",
                                           "tests/a.py::t2", "tests/d.py::t1"]


def test_a_group_of_modules_goes_by_its_total_and_stays_contiguous() -> None:
    items = [Item(n) for n in ("tests/flows/a.py::t1", "tests/b.py::t1", "tests/flows/c.py::t1",
                               "tests/flows/c.py::t2", "tests/d.py::t1")]
    group = {"tests/flows/a.py": "flows", "tests/flows/c.py": "flows"}
    ordered = longest_first(items, {"tests/flows/a.py": 20.0, "tests/flows/c.py": 40.0, "tests/b.py": 50.0},
                            lambda item: group.get(item.nodeid.split("::")[0], item.nodeid.split("::")[0]))
    assert [i.nodeid for i in ordered] == ["tests/flows/c.py::t1", "tests/flows/c.py::t2", "tests/flows/a.py::t1",
                                           "tests/b.py::t1", "tests/d.py::t1"]  # the group's longest module first


def test_merge_keeps_unnamed_modules_and_takes_a_split_modules_longest_span(tmp_path: Path) -> None:
    path = tmp_path / "durations.json"
    path.write_text(json.dumps({"tests/old.py": 5.0, "tests/x.py": 1.0}))
    records = [{"module": "tests/x.py", "wall_s": 30.0}, {"module": "tests/x.py", "wall_s": 40.04},
               {"module": "(session end)", "wall_s": 0.0}]
    assert merge_durations(records, path) == {"tests/old.py": 5.0, "tests/x.py": 40.0}
    assert list(json.loads(path.read_text())) == ["tests/x.py", "tests/old.py"]  # longest first in the file


def test_a_missing_or_broken_file_means_file_order(tmp_path: Path) -> None:
    assert load_durations(tmp_path / "none.json") == {}
    (tmp_path / "bad.json").write_text("[1, 2")
    assert load_durations(tmp_path / "bad.json") == {}


def test_the_committed_durations_name_existing_modules() -> None:
    durations = load_durations(DURATIONS)
    assert durations, "tests/support/durations.json is missing or empty"
    root = DURATIONS.parents[2]
    assert [m for m in durations if not (root / m).is_file()] == []
