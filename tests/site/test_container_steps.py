"""A failed container step names the step, exit code and local log; never a log line (it may hold case data)."""

from pathlib import Path

import pytest
from support.fake_runners import FakeRunner, RunCall, infer_spec

from medperf.containers.spec import ContainerSpec, TaskFailed, TaskResult, failure_message
from medperf.site.container_steps import StepContext, StepFailed, infer


class CrashingRunner(FakeRunner):
    """A runner whose model exits 3 after logging a case id."""

    def answer(self, call: RunCall) -> TaskResult:
        log = call.log_dir / "infer.log"
        log.write_text("crashing at case pt-0007-secret\n")
        return TaskResult(call.task, 3, log, "crashing at case pt-0007-secret", 0.1, False)


class RaisingRunner(FakeRunner):
    """A runner that raises TaskFailed itself, with the log tail in its message (as run_checked does)."""

    def answer(self, call: RunCall) -> TaskResult:
        result = TaskResult(call.task, 3, call.log_dir / "infer.log", "crashing at case pt-0007-secret", 0.1, False)
        raise TaskFailed(failure_message(call.spec, result, call.timeout_s), result)


def _spec() -> ContainerSpec:
    return infer_spec("tiny-model", image="x")


def test_failure_message_has_no_log_content(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ctx = StepContext(CrashingRunner(), _spec(), tmp_path / "work", 60)
    with pytest.raises(StepFailed) as caught:
        infer(ctx, tmp_path)
    message = str(caught.value)
    assert "step 'infer' of container 'tiny-model' failed with exit code 3" in message
    assert str(tmp_path / "work" / "logs" / "infer.log") in message
    assert "pt-0007" not in message
    assert "crashing at case pt-0007-secret" in capsys.readouterr().err  # shown on the site's own console


def test_a_runner_raising_with_the_log_tail_becomes_a_summary(tmp_path: Path) -> None:
    ctx = StepContext(RaisingRunner(), _spec(), tmp_path / "work", 60)
    with pytest.raises(StepFailed) as caught:
        infer(ctx, tmp_path)
    assert "failed with exit code 3" in str(caught.value)
    assert "pt-0007" not in str(caught.value)
    # not chained: a logged traceback of the summary would otherwise print the original message too
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_labels_file_is_staged_in_a_folder_when_the_container_takes_a_folder(tmp_path: Path) -> None:
    from medperf.containers.config import Volume
    from medperf.site.container_steps import _as_declared

    labels = tmp_path / "raw" / "labels.csv"
    labels.parent.mkdir()
    labels.write_text("case_id,label\nA-1,B\n")
    folder_volume = Volume(mount_path="/mlcommons/volumes/raw_labels", type="directory")
    staged = _as_declared(labels, folder_volume, tmp_path / "work" / "raw_labels")
    assert staged.is_dir() and [p.name for p in staged.iterdir()] == ["labels.csv"]
    assert (staged / "labels.csv").read_text() == labels.read_text()
    assert _as_declared(labels.parent, folder_volume, tmp_path / "w2") == labels.parent  # a folder stays
    file_volume = Volume(mount_path="/mlcommons/volumes/labels.csv", type="file")
    assert _as_declared(labels, file_volume, tmp_path / "w3") == labels  # a file input takes the file
