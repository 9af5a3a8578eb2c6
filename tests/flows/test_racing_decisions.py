"""Two answers to one approval form at the same moment: exactly one is taken and each command says what happened."""

import contextvars
import threading
from collections.abc import Callable

import pytest
from flow_harness import start_flow, wait_for_approval_form
from site_flows import SiteWorld

from flows.interactive import ApprovalNotPending, submit_decision
from flows.prepare_dataset import prepare_dataset
from medperf.client import RegistryClient
from medperf.site.run_store import RunStore

pytestmark = pytest.mark.prefect


def _race(site: SiteWorld, name: str, approves: tuple[bool, bool]) -> tuple[list[tuple[bool, str]], str]:
    """Start a preparation and send two answers at once: [(approve, what its command reported)], final state."""
    before = {item.flow_run_id for item in RunStore(site.data_root).approvals()}
    run = start_flow(
        prepare_dataset, benchmark_id=site.benchmark_id, data_path=str(site.raw), labels_path=str(site.labels),
        name=name,
    )
    pending = wait_for_approval_form(site.data_root, before, run)
    reports: list[tuple[bool, str]] = []
    barrier = threading.Barrier(len(approves))

    def send(approve: bool) -> None:
        barrier.wait()
        try:
            said = submit_decision(site.site_home, site.data_root, pending, approve=approve, comment="race")
        except ApprovalNotPending as refused:
            said = f"refused: {refused}"
        reports.append((approve, said))

    # each sender sees this test's Prefect settings (they live in context variables)
    threads = [threading.Thread(target=contextvars.copy_context().run, args=(send, approve)) for approve in approves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return reports, str(run.state().name)


def test_approve_and_reject_at_once_one_wins_and_the_loser_is_told(
    site_world: Callable[..., SiteWorld], data_owner: RegistryClient
) -> None:
    site = site_world()
    reports, final = _race(site, "race-approve-reject", (True, False))
    taken = [(approve, said) for approve, said in reports if not said.startswith("refused")]
    assert len(reports) == 2 and len(taken) == 1, reports  # one decision per run; the other command is told
    ((winner, said),) = taken
    assert said == ("approved" if winner else "rejected"), reports
    uploaded = data_owner.datasets.list(benchmark_id=site.benchmark_id).count
    assert (final, uploaded) == (("Completed", 1) if winner else ("Rejected", 0)), (final, uploaded, reports)


def test_two_approves_at_once_upload_once_and_only_one_says_approved(
    site_world: Callable[..., SiteWorld], data_owner: RegistryClient
) -> None:
    site = site_world()
    reports, final = _race(site, "race-approve-approve", (True, True))
    said = sorted(text.split(":")[0] for _, text in reports)
    assert said == ["approved", "refused"], reports
    assert final == "Completed"
    assert data_owner.datasets.list(benchmark_id=site.benchmark_id).count == 1
