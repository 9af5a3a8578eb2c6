"""A task that passes the site's memory limit is reported as out of memory, with the limit, on both runners."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from medperf.containers.config import ContainerConfig
from medperf.site.container_steps import StepContext, StepFailed, infer

LIMIT_MB = 128


def test_a_task_past_the_memory_limit_is_named_out_of_memory_with_the_limit(
    case: Any, probe_config: Callable[..., ContainerConfig], tmp_path: Path
) -> None:
    settings = case.settings.model_copy(update={"memory_limit_mb": LIMIT_MB})
    runner = type(case.runner)(settings)
    spec = case.spec(probe_config("alloc", str(4 * LIMIT_MB)))
    data = tmp_path / "data"
    data.mkdir()
    ctx = StepContext(runner, spec, tmp_path / "work", timeout_s=120)

    try:
        infer(ctx, data)
    except StepFailed as err:
        message, result = str(err), err.result
    else:
        raise AssertionError("a task allocating 4x the memory limit succeeded")

    assert result.memory_limit_hit_mb == LIMIT_MB
    assert f"ran out of memory: it passed the limit of {LIMIT_MB} MB" in message
    assert "MEDPERF_SITE_MEMORY_LIMIT_MB" in message
    assert len(message.splitlines()) == 1


def test_a_task_that_fails_for_another_reason_is_not_called_out_of_memory(
    case: Any, probe_config: Callable[..., ContainerConfig], tmp_path: Path
) -> None:
    spec = case.spec(probe_config("crash"))
    data = tmp_path / "data"
    data.mkdir()
    ctx = StepContext(case.runner, spec, tmp_path / "work", timeout_s=120)

    try:
        infer(ctx, data)
    except StepFailed as err:
        assert err.result.memory_limit_hit_mb is None
        assert "failed with exit code 7" in str(err) and "memory" not in str(err)
    else:
        raise AssertionError("a crashing task succeeded")
