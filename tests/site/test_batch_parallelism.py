"""How many pairs of a campaign run a site evaluates at once: its setting, else its pool's limit, else one."""

import os
from pathlib import Path

import pytest

from medperf.settings import SiteSettings
from medperf.site import batch_parallelism as module
from medperf.site.batch_parallelism import plan_parallelism


@pytest.mark.parametrize(
    ("setting", "pool_limit", "pairs", "expected"),
    [
        (None, 4, 10, 4),  # the pool's limit
        (None, 4, 3, 3),  # never more threads than pairs
        (None, None, 5, 1),  # no pool (an in-process run) or an unlimited pool: one at a time
        (2, 8, 5, 2),  # the site's own setting wins
        (3, None, 1, 1),
    ],
)
def test_parallelism_follows_the_setting_then_the_pool(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, setting: int | None, pool_limit: int | None, pairs: int,
    expected: int,
) -> None:
    asked: list[str] = []

    def pool_concurrency(run_id: str) -> int | None:
        asked.append(run_id)
        return pool_limit

    monkeypatch.setattr(module, "pool_concurrency", pool_concurrency)
    monkeypatch.setattr(module, "host_memory_mb", lambda: None)  # memory is the next test's
    settings = SiteSettings(data_root=tmp_path, batch_parallelism=setting)
    assert plan_parallelism(settings, "run-1", pairs).pairs_at_once == expected
    assert asked == ([] if setting else ["run-1"]), "the pool is asked only when the site sets nothing"


def test_a_parallelism_below_one_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDPERF_SITE_BATCH_PARALLELISM", "0")
    with pytest.raises(ValueError, match="batch_parallelism"):
        SiteSettings()


@pytest.mark.parametrize(
    ("setting", "host_mb", "expected", "reason"),
    [
        (None, 9000, 2, "2 x memory_limit_mb 4096 fit in the 9000 MB available now"),  # the pool's 4 would not fit
        (None, 3000, 1, "1 x memory_limit_mb 4096 fit in the 3000 MB available now"),  # one always runs
        (None, 64000, 4, "the work pool's concurrency limit"),
        (None, None, 4, "the work pool's concurrency limit"),  # a system that does not tell: the pool decides
        (3, 5000, 3, "the site's batch_parallelism"),  # the operator's own number is taken as set
    ],
)
def test_the_pools_limit_is_cut_to_the_containers_that_fit_in_memory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, setting: int | None, host_mb: int | None, expected: int,
    reason: str,
) -> None:
    monkeypatch.setattr(module, "pool_concurrency", lambda run_id: 4)
    monkeypatch.setattr(module, "host_memory_mb", lambda: host_mb)
    settings = SiteSettings(data_root=tmp_path, batch_parallelism=setting, memory_limit_mb=4096)
    plan = module.plan_parallelism(settings, "run-1", 10)
    assert (plan.pairs_at_once, plan.reason) == (expected, reason)


def test_this_machines_memory_is_read() -> None:
    memory = module.host_memory_mb()
    assert memory is not None and memory > 256


def test_the_memory_is_what_is_available_now_not_what_is_installed(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24000000 kB\nMemFree:          500000 kB\nMemAvailable:    3145728 kB\n")
    assert module.available_memory_mb(meminfo) == 3072  # another job holds most of this machine's memory
    meminfo.write_text("MemTotal:       24000000 kB\n")  # a kernel older than 3.14 does not tell
    assert module.available_memory_mb(meminfo) is None
    assert module.available_memory_mb(tmp_path / "missing") is None
    installed = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20
    assert module.available_memory_mb() is not None and module.available_memory_mb() < installed
