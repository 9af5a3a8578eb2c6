"""One open approval request per payload on a site: a second run with the same payload stops instead of asking.

Two runs of the same evaluation can reach the approval step (an operator pressed Run twice in the UI, a
dispatcher without the campaign's idempotency key). Both would ask the data owner to approve the same bytes.
Before asking, a run claims the payload's digest under `<data_root>/approval-claims/` (under an flock, so
two runs deciding at the same moment see each other). The claim holds while its run's request is open: no
decision recorded on the site and its Prefect run not final. A run that finds a live claim of another run
asks nothing and ends as a duplicate; once the holder's request is answered, withdrawn or its run ended,
the next run takes the claim over.
"""

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path

from medperf.atomic_file import write_atomic
from medperf.site.run_store import DECISION, RunStore

DUPLICATE_STATE = "Duplicate"  # the name of the terminal state of a run that found its payload already asked for
CLAIMS_DIR = "approval-claims"

RunIsFinal = Callable[[str], bool]  # flow run id -> whether Prefect has it in a final state (or does not know it)


class ApprovalClaims:
    """The site's open approval requests, one per payload digest."""

    def __init__(self, data_root: Path) -> None:
        self.data_root = data_root
        self.root = data_root / CLAIMS_DIR

    def _path(self, kind: str, digest: str) -> Path:
        return self.root / f"{kind}-{digest}.json"

    def holder(self, kind: str, digest: str) -> str | None:
        """The flow run id that last claimed this payload, or None."""
        try:
            return str(json.loads(self._path(kind, digest).read_text())["flow_run_id"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def claim(self, kind: str, digest: str, flow_run_id: str, run_is_final: RunIsFinal) -> str | None:
        """Claim the payload for this run: None when this run may ask, else the id of the run already asking.

        The holder's request is over when the site recorded its decision (approved, rejected, expired,
        withdrawn) or Prefect has its run final; its unanswered request is then withdrawn and the claim
        passes to this run.
        """
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_fd = os.open(self.root / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            holder = self.holder(kind, digest)
            if holder is not None and holder != flow_run_id and self._open(holder, run_is_final):
                return holder
            if holder is not None and holder != flow_run_id:
                RunStore(self.data_root).withdraw_unanswered(holder, "its run ended before the data owner answered")
            self._write(kind, digest, flow_run_id)
            return None
        finally:
            os.close(lock_fd)  # releases the flock

    def _open(self, holder: str, run_is_final: RunIsFinal) -> bool:
        if RunStore(self.data_root).read(holder, DECISION) is not None:
            return False
        return not run_is_final(holder)

    def _write(self, kind: str, digest: str, flow_run_id: str) -> None:
        write_atomic(self._path(kind, digest), json.dumps({"flow_run_id": flow_run_id}))


def prefect_run_is_final(flow_run_id: str) -> bool:
    """Whether Prefect has the flow run in a final state; a run it does not know counts as final."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    from medperf.retry_policy import PREFECT_CALLS

    def read() -> bool:
        with get_client(sync_client=True) as client:
            try:
                run = client.read_flow_run(UUID(flow_run_id))
            except ObjectNotFound:
                return True
            return run.state is not None and run.state.is_final()

    return PREFECT_CALLS.call(read)
