"""A flow run's heartbeat thread ends with its run, not at its next whole second (medperf.prefect_heartbeats)."""

import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prefect import flow_engine

from medperf.prefect_heartbeats import send_heartbeats, stop_heartbeats_promptly

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class _State:
    final: bool = False

    def is_final(self) -> bool:
        return self.final


@dataclass
class _FlowRun:
    state: _State = field(default_factory=_State)


@dataclass
class _Engine:
    """What `_send_heartbeats` uses of a flow run engine; records each heartbeat and the thread it came from."""

    heartbeat_seconds: int | None = 30
    flow_run: _FlowRun = field(default_factory=_FlowRun)
    logger: Any = field(default_factory=lambda: flow_engine.get_logger("test"))
    beats: list[str] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    beat: threading.Event = field(default_factory=threading.Event)

    def _build_heartbeat_event_template(self) -> tuple[str, str]:
        return "resource", "related"

    def _emit_flow_run_heartbeat(self, resource: str, related: str) -> None:
        self.beats.append(f"{resource}/{related}")
        self.threads.append(threading.current_thread())
        self.beat.set()


@pytest.fixture
def sleeps_off_main(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every time.sleep a thread other than this test's makes (Prefect's heartbeat loop sleeps a second at a time)."""
    calls: list[float] = []
    main, real_sleep = threading.current_thread(), time.sleep

    def sleep(seconds: float) -> None:
        if threading.current_thread() is not main:
            calls.append(seconds)
        real_sleep(min(seconds, 0.01))

    monkeypatch.setattr(time, "sleep", sleep)
    return calls


@pytest.mark.parametrize("cwd", ["repo", "elsewhere"])  # a deployment run's process, and the `medperf` CLI's
def test_a_process_that_imports_the_flows_gets_the_prompt_stop(cwd: str, tmp_path: Path) -> None:
    code = (
        "import flows.evaluate_model, prefect.flow_engine as engine, medperf.prefect_heartbeats as ours; "
        "print(flows.__file__, engine._send_heartbeats is ours.send_heartbeats)"
    )
    where = ROOT if cwd == "repo" else tmp_path
    done = subprocess.run([sys.executable, "-c", code], cwd=where, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [str(ROOT / "flows" / "__init__.py"), "True"]


def test_the_tests_import_the_product_flows_as_its_processes_do() -> None:
    """pyproject's pythonpath: `flows` is the product's package here too, not the tests/flows folder."""
    import flows

    assert flows.__file__ == str(ROOT / "flows" / "__init__.py")
    assert flow_engine._send_heartbeats is send_heartbeats  # its import put the prompt stop in place
    assert stop_heartbeats_promptly() is True  # idempotent: still in place, still Prefect's shape
    assert flow_engine._send_heartbeats is send_heartbeats


def test_the_heartbeat_goes_out_at_the_start_and_the_thread_ends_with_the_run(sleeps_off_main: list[float]) -> None:
    engine = _Engine()
    with flow_engine._send_heartbeats(engine):  # type: ignore[arg-type]
        assert engine.beat.wait(5), "no heartbeat at the start of the run"
    assert engine.beats == ["resource/related"]  # one, the next is 30 s later
    assert not engine.threads[0].is_alive()  # joined: it stopped when the run ended
    assert sleeps_off_main == []  # it waited on the run's end, not in one-second sleeps


def test_the_thread_sends_again_each_period_until_the_run_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flow_engine, "MINIMUM_HEARTBEAT_INTERVAL", 0)
    engine = _Engine(heartbeat_seconds=0)
    with flow_engine._send_heartbeats(engine):  # type: ignore[arg-type]
        deadline = time.monotonic() + 10
        while len(engine.beats) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    sent = len(engine.beats)
    assert sent >= 3
    time.sleep(0.05)
    assert len(engine.beats) == sent  # none after the run ended


def test_a_final_run_or_no_period_sends_nothing(sleeps_off_main: list[float]) -> None:
    ended = _Engine(flow_run=_FlowRun(_State(final=True)))
    with flow_engine._send_heartbeats(ended):  # type: ignore[arg-type]
        pass
    off = _Engine(heartbeat_seconds=None)
    with flow_engine._send_heartbeats(off):  # type: ignore[arg-type]
        pass
    assert ended.beats == [] and off.beats == [] and sleeps_off_main == []


def test_a_failing_heartbeat_never_fails_the_run() -> None:
    engine = _Engine()

    def fail(resource: str, related: str) -> None:
        engine.beat.set()
        raise RuntimeError("events endpoint down")

    engine._emit_flow_run_heartbeat = fail  # type: ignore[method-assign]
    with flow_engine._send_heartbeats(engine):  # type: ignore[arg-type]
        assert engine.beat.wait(5)
    assert engine.beats == []


def test_another_prefect_shape_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(flow_engine.BaseFlowRunEngine, "_emit_flow_run_heartbeat")
    monkeypatch.setattr(flow_engine, "_send_heartbeats", "prefect's own")
    assert stop_heartbeats_promptly() is False
    assert flow_engine._send_heartbeats == "prefect's own"
