"""The approval pause of the site flows: a typed form, suspend (deployment runs) or pause (in-process)."""

from prefect import get_run_logger, pause_flow_run, suspend_flow_run
from prefect.context import FlowRunContext
from prefect.input import RunInput
from pydantic import Field

from medperf.campaign.continuous import has_standing_consent
from medperf.errors import ApprovalRejected
from medperf.settings import SiteSettings, default_home
from medperf.site.approval_code import load_or_create_site_secret
from medperf.site.approval_form import Answer, Decision, form_description, judge
from medperf.site.connections import site_registry
from medperf.site.payloads import Payload, payload_dict, payload_digest
from medperf.site.run_store import RunStore
from tasks.approval import request_approval

APPROVAL_KEY = "medperf-approval"
IN_PROCESS_POLL_SECONDS = 1


class ApprovalInput(RunInput):
    """The approval form: approve or reject, a comment, and the code shown on the site machine."""

    approve: bool = Field(default=False, description="Approve the upload of the payload shown above")
    comment: str = Field(default="", max_length=2000, description="Why (kept with the decision on the site)")
    approval_code: str = Field(
        default="", max_length=32, description="Code shown by `medperf approvals ls` on the site machine"
    )


def _is_deployment_run(context: FlowRunContext | None) -> bool:
    return bool(context and context.flow_run and context.flow_run.deployment_id)


def await_approval(flow_run_id: str, title: str, payload: Payload, settings: SiteSettings, timeout_s: int) -> None:
    """Show the payload, wait for the owner's answer, and return only if it is an approval.

    Deployment runs suspend (no process is held; the re-run after resume finds earlier steps cached and
    the stored answer under the same pause key). Runs called in-process (interactive CLI) cannot suspend,
    so they pause and poll every IN_PROCESS_POLL_SECONDS, as do deployment runs of a site whose
    `approval_wait` setting is "pause". Either way the answer arrives via the run-input API.
    """
    digest = request_approval(flow_run_id, title, payload, settings)
    form = ApprovalInput.with_initial_data(description=form_description(title, payload))
    logger = get_run_logger()
    logger.info("waiting for the data owner's approval of the %s payload (sha256 %s...)", payload.kind, digest[:12])
    if _is_deployment_run(FlowRunContext.get()) and settings.approval_wait == "suspend":
        answer = suspend_flow_run(wait_for_input=form, key=APPROVAL_KEY, timeout=timeout_s)
    else:
        answer = pause_flow_run(
            wait_for_input=form, key=APPROVAL_KEY, timeout=timeout_s, poll_interval=IN_PROCESS_POLL_SECONDS
        )
    decision = judge(
        Answer(approve=answer.approve, comment=answer.comment, approval_code=answer.approval_code),
        load_or_create_site_secret(default_home()),
        flow_run_id,
        digest,
    )
    RunStore(settings.data_root).record_decision(flow_run_id, decision.value, answer.comment)
    logger.info("approval step ended: %s", decision.value)
    if decision is Decision.REJECTED:
        raise ApprovalRejected("the data owner rejected the upload; nothing was uploaded")
    if decision is Decision.WRONG_CODE:
        raise ApprovalRejected(
            "the approval code does not match this run and payload; nothing was uploaded "
            "(take the code from `medperf approvals ls` on the site machine and run the flow again)"
        )


def consent_holds(benchmark_id: int, dataset_id: int) -> bool:
    """Whether the site's own registry identity sees an active standing consent for this pair.

    Checked by the flow itself (never taken on trust from whoever dispatched the run): the consent must be
    in the registry, unexpired and unrevoked.
    """
    with site_registry(default_home()) as registry:
        return has_standing_consent(registry, benchmark_id, dataset_id)


def record_standing_consent(flow_run_id: str, title: str, payload: Payload, settings: SiteSettings) -> None:
    """Record locally the payload uploaded under the data owner's standing consent, and that decision."""
    store = RunStore(settings.data_root)
    store.record_pending(flow_run_id, payload.kind, title, payload_dict(payload), payload_digest(payload))
    store.record_decision(flow_run_id, Decision.STANDING_CONSENT.value, "uploaded under the standing consent")
    get_run_logger().info("uploading under the data owner's standing consent; no approval pause")
