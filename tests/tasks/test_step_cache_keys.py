"""Cache keys come only from input hashes: equal inputs reuse a step, any changed hash reruns it."""

from pathlib import Path
from typing import Any, cast

from prefect.context import TaskRunContext

from medperf.settings import SiteSettings
from medperf.site.step_keys import step_key, work_dir
from tasks.options import by_step_key, site_result_storage


def test_key_changes_with_any_input_hash() -> None:
    base = step_key("infer", "container-a", "data-1")
    assert base == step_key("infer", "container-a", "data-1")
    assert (
        len(
            {
                base,
                step_key("infer", "container-b", "data-1"),
                step_key("infer", "container-a", "data-2"),
                step_key("evaluate", "container-a", "data-1"),
            }
        )
        == 4
    )


def test_task_cache_key_is_the_flow_given_step_key() -> None:
    context = cast(TaskRunContext, None)
    params: dict[str, Any] = {"step_key": "prepare-abc", "settings": object()}
    assert by_step_key(context, params) == "prepare-abc"


def test_outputs_and_results_stay_under_the_site_data_root(tmp_path: Path) -> None:
    settings = SiteSettings(data_root=tmp_path)
    assert work_dir(tmp_path, "prepare-abc").is_relative_to(tmp_path)
    storage = site_result_storage(settings)
    assert storage.is_dir() and storage.is_relative_to(tmp_path)
