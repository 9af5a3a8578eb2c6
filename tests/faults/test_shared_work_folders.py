"""Two models whose containers have identical content, run at once on one site, keep their own predictions."""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from support.fake_runners import FakeRunner, RunCall, infer_spec

from medperf.containers.spec import TaskResult
from medperf.site import evaluation_steps
from medperf.site.container_steps import StepContext
from medperf.site.step_keys import step_key, work_dir


class OverlappingModel(FakeRunner):
    """A model that writes its predictions, waits until the other model has started too, then checks them."""

    def __init__(self, started: threading.Barrier) -> None:
        self.started = started
        self.lost: list[str] = []

    def answer(self, call: RunCall) -> TaskResult:
        name = call.spec.name
        output = call.mounts["output_path"] / f"{name}.txt"
        output.write_text(f"predictions of {name}\n")
        self.started.wait(timeout=30)  # both runs are in flight from here on
        self.started.wait(timeout=30)  # ... and both have set up their folders
        if not output.is_file():
            self.lost.append(name)
        log = call.log_dir / f"{call.task}-{name}.log"
        log.write_text("done\n")
        return TaskResult(call.task, 0, log, "", 0.1, False)


def test_two_models_with_the_same_container_content_run_at_once_in_separate_work_folders(tmp_path: Path) -> None:
    prepared = tmp_path / "prepared"
    prepared.mkdir()
    # The infer key is built from the container's content and the data: equal for both models.
    key = step_key("infer", "container-content-sha256", "prepared-sha256")
    runner = OverlappingModel(threading.Barrier(2))

    def infer(name: str) -> evaluation_steps.Predictions:
        ctx = StepContext(runner, infer_spec(name, image="same-content"), work_dir(tmp_path, key), timeout_s=60)
        return evaluation_steps.infer(ctx, prepared)

    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(infer, ["model-a", "model-b"])

    assert runner.lost == []
    assert first.path != second.path
    assert [p.name for p in first.path.iterdir()] == ["model-a.txt"]
    assert [p.name for p in second.path.iterdir()] == ["model-b.txt"]
    assert evaluation_steps.is_intact(first) and evaluation_steps.is_intact(second)


def test_a_step_run_again_gets_a_fresh_folder_and_the_earlier_outputs_stay_whole(tmp_path: Path) -> None:
    key = step_key("infer", "container", "data")
    earlier = work_dir(tmp_path, key)
    (earlier / "predictions").mkdir(parents=True)
    (earlier / "predictions" / "p.txt").write_text("earlier\n")
    again = work_dir(tmp_path, key)
    assert again != earlier and again.is_dir() and not any(again.iterdir())
    assert (earlier / "predictions" / "p.txt").read_text() == "earlier\n"
    assert again.parent == earlier.parent == tmp_path / "work" / key  # one place per step key, to find them by
