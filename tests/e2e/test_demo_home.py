"""The demo's home folder: a foreign folder is never wiped, an earlier demo's folder is, `demo down` is safe."""

from pathlib import Path

import pytest

from medperf.demo.layout import MARKER, DemoLayout
from medperf.demo.run import prepare_home
from medperf.demo.stack import DemoState, stop_demo, write_state
from medperf.errors import ConfigError


def test_a_non_empty_folder_that_is_no_demo_is_refused(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("precious")
    with pytest.raises(ConfigError, match="is not empty and holds no earlier demo"):
        prepare_home(DemoLayout(tmp_path))
    assert (tmp_path / "thesis.tex").read_text() == "precious"


def test_an_earlier_stopped_demo_is_cleared(tmp_path: Path) -> None:
    (tmp_path / MARKER).write_text("")
    (tmp_path / "registry").mkdir()
    (tmp_path / "registry" / "registry.db").write_text("old")
    prepare_home(DemoLayout(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [MARKER]


def test_a_running_demo_is_refused(tmp_path: Path) -> None:
    import os

    layout = DemoLayout(tmp_path)
    (tmp_path / MARKER).write_text("")
    write_state(layout, DemoState("http://127.0.0.1:1", "http://127.0.0.1:2/api", {"registry": os.getpid()}))
    with pytest.raises(ConfigError, match="already running .* medperf demo down --home"):
        prepare_home(layout)


def test_down_without_a_demo_stops_nothing(tmp_path: Path) -> None:
    assert stop_demo(tmp_path) == []
