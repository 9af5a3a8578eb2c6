"""The site's work folder is full (ENOSPC) while a model runs, on the real stack.

The fault is a real full disk: the site's work folder is a small tmpfs (mounted by this test, which needs
root), filled to the last byte before the run, so the model's own write of its predictions fails with
ENOSPC. The run fails with one line naming the full disk, its folder and what to do; the site keeps the
failure record; the owner is never asked and nothing is uploaded; once space is freed a re-run finalizes
exactly one result. ENOSPC hit by the platform's own writes is named the same way (the last test).
"""

import errno
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from campaign_world import Site, poll
from one_site_world import SUFFIX, World, final_state, one_site_world

from flows.site_run import record_failures
from medperf.errors import DiskFull
from medperf.settings import SiteSettings
from medperf.site.run_store import FAILURE, RunStore

pytestmark = [pytest.mark.prefect, pytest.mark.postgres, pytest.mark.s3]
WORK_DISK = "16m"


def _mount_small_disk(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={WORK_DISK}", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        raise RuntimeError(f"this test mounts a {WORK_DISK} tmpfs as the site's work folder and needs root: "
                           f"{mounted.stderr.strip()}")


def _fill(folder: Path) -> Path:
    """Write a file until the disk of folder is full; returns it (deleting it frees the space)."""
    filler = folder / "filler"
    block = b"\0" * (1 << 20)
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(block)
        except OSError as err:
            assert err.errno == errno.ENOSPC, err
    with filler.open("ab", buffering=0) as out:  # the last partial block too
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError as err:
            assert err.errno == errno.ENOSPC, err
    return filler


@pytest.fixture(scope="module")
def world(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A site whose work folder (<data root>/work) is a small disk of its own."""
    root = tmp_path_factory.mktemp("disk-full")
    mounts: list[Path] = []

    def small_work_disk(site: Site) -> None:
        _mount_small_disk(site.data_root / "work")
        mounts.append(site.data_root / "work")

    try:
        with one_site_world(stack, root, f"disk-site-{SUFFIX}", before_up=small_work_disk) as built:
            yield built
    finally:
        for folder in mounts:
            subprocess.run(["umount", "--lazy", str(folder)], check=False)


def test_a_full_work_disk_fails_the_run_with_one_clear_line_and_a_rerun_after_freeing_space_finalizes_one(
    world: World,
) -> None:
    work = world.site.data_root / "work"
    model = world.model()
    filler = _fill(work)

    run_id = world.dispatch_one(model.id)
    state = poll(lambda: final_state(run_id), "the run to end on the full disk", deadline_s=180)

    message = state.message or ""
    assert state.type.value == "FAILED", (state.name, message)
    # What the user sees (Prefect UI, `medperf benchmark status`): one line naming the disk, folder, remedy.
    assert "step 'infer'" in message and f"the disk of {work}" in message and "is full (" in message
    assert "free space there (or move MEDPERF_SITE_DATA_ROOT to a larger disk) and run again" in message
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    failure = RunStore(world.site.data_root).read(run_id, FAILURE)
    assert failure is not None and failure["step"] == "infer" and failure["details"]["exit_code"] != 0
    assert f"the disk of {work}" in failure["message"]
    assert world.approvals_asked(run_id) == 0  # the owner was never asked
    assert world.finalized(model.id) == []  # nothing was uploaded

    filler.unlink()  # the operator frees space
    again = world.dispatch_one(model.id)
    world.complete(again, "the re-run once space is freed")

    assert len(world.finalized(model.id)) == 1
    assert world.approvals_asked(again) == 1


def test_enospc_in_the_platforms_own_writes_is_named_a_full_disk_with_a_site_record(tmp_path: Path) -> None:
    settings = SiteSettings(name="site-x", data_root=tmp_path)
    written = tmp_path / "work" / "infer-abc" / "pt-0001-site-x.csv"  # a file name that is a case id

    with pytest.raises(DiskFull) as raised, record_failures(settings, "run-1"):
        raise OSError(errno.ENOSPC, "No space left on device", str(written))

    message = str(raised.value)
    assert message.startswith(f"a write on this site failed: the disk of {tmp_path / 'work'} is full (")
    assert "pt-0001" not in message and len(message.splitlines()) == 1
    failure = RunStore(tmp_path).read("run-1", FAILURE)
    assert failure is not None and (failure["step"], failure["message"]) == ("DiskFull", message)


def test_other_os_errors_are_not_called_a_full_disk(tmp_path: Path) -> None:
    settings = SiteSettings(name="site-x", data_root=tmp_path)
    with pytest.raises(PermissionError), record_failures(settings, "run-2"):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "x"))
    assert RunStore(tmp_path).read("run-2", FAILURE) is None
