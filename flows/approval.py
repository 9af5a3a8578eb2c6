"""The approval pause of the site flows: a typed form, suspend (deployment runs) or pause (in-process)."""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, cast
from uuid import UUID

from prefect import get_run_logger, pause_flow_run, suspend_flow_run
from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext
from prefect.exceptions import FlowPauseTimeout
from prefect.input import RunInput
from prefect.states import Cancelled, Completed, Failed, State
from pydantic import Field, StringConstraints

from medperf.campaign.continuous import latest_standing_consent
from medperf.client.errors import ApiError
from medperf.schemas.task import TaskDeclaration
from medperf.settings import SiteSettings, default_home
from medperf.site.approval_claims import DUPLICATE_STATE, ApprovalClaims, prefect_run_is_final
from medperf.site.approval_code import load_or_create_site_secret
from medperf.site.approval_form import (
    QUEUED_STATE,
    REJECTED_STATE,
    Answer,
    Choice,
    Decision,
    form_description,
    human_duration,
    judge,
    parse_rows,
)
from medperf.site.connections import site_registry
from medperf.site.outbox import Outbox, SendOutcome
from medperf.site.payloads import BatchPayload, Payload, ResultPayload, payload_dict, payload_digest
from medperf.site.run_store import RunStore
from tasks.approval import request_approval
from tasks.upload import send_approved

APPROVAL_KEY = "medperf-approval"
# How often a paused run looks for its answer. Prefect sleeps one interval before its first look, so this is
# also the least time an approval takes. A CLI run is one run with its owner at the terminal: it looks often.
# Deployment runs that pause (approval_wait "pause") may be many at once on one server: they look each second.
IN_PROCESS_POLL_SECONDS = 0.2
PAUSED_DEPLOYMENT_POLL_SECONDS = 1
MAX_ANSWERS = 3  # answers with a wrong code are ignored; after this many the run ends, uploading nothing
INPUT_LISTING_LIMIT = 1000


class ApprovalInput(RunInput):
    """The approval form: an explicit decision, the code shown on the site machine, and a comment."""

    decision: Choice = Field(
        title="Decision", description="approve: upload exactly the payload above; reject: upload nothing"
    )
    approval_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)] = Field(
        title="Approval code",
        description="The code `medperf approvals ls` shows for this run on the site machine, e.g. ABCDE-FGHIJ",
    )
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = Field(
        default="", title="Comment", description="Optional: why (kept with the decision on the site)"
    )


class BatchApprovalInput(ApprovalInput):
    """The approval form of a batch: the same answer, and the numbers of the rows not to upload."""

    reject_rows: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = Field(
        default="", title="Reject rows",
        description="Optional: numbers of the rows NOT to upload, e.g. 2, 5; approving uploads every other row",
    )


@dataclass(frozen=True)
class Approved:
    """The data owner approved; for a batch, the 1-based rows they rejected (never uploaded)."""

    rejected_rows: frozenset[int] = frozenset()


def _is_deployment_run(context: FlowRunContext | None) -> bool:
    return bool(context and context.flow_run and context.flow_run.deployment_id)


def answer_keys(flow_run_id: str) -> Iterator[str]:
    """Pause keys for the answers of this try, in order.

    Keys whose pause fired in this try are reused, so the re-run after a suspend finds the answers stored
    under them; keys used before a Retry (Prefect then forgets fired pauses but keeps stored inputs) are
    skipped, so a retried run asks afresh instead of re-reading old answers.
    """
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(flow_run_id))
        stored = client.filter_flow_run_input(UUID(flow_run_id), APPROVAL_KEY, INPUT_LISTING_LIMIT, set())
    fired = set(run.empirical_policy.pause_keys or ())
    used = {item.key.removesuffix("-schema") for item in stored if item.key.endswith("-schema")}
    for number in itertools.count():
        key = APPROVAL_KEY if number == 0 else f"{APPROVAL_KEY}-{number}"
        if key not in used or key in fired:
            yield key


def _names(payload: Payload) -> dict[str, str]:
    """Display names of the entities a payload refers to by id (what the registry calls them)."""
    data = payload_dict(payload)
    lookups = {
        "benchmark_id": "benchmarks",
        "model_id": "models",
        "dataset_id": "datasets",
        "data_preparation_container_id": "containers",
        "model_container_id": "containers",
        "evaluator_container_id": "containers",
    }
    wanted = [(field, resource, data[field]) for field, resource in lookups.items() if isinstance(data.get(field), int)]
    if isinstance(payload, BatchPayload):  # keyed "model_id:7", one per entity of the rows
        wanted = [(f"{field}:{getattr(row, field)}", resource, getattr(row, field))
                  for row in payload.rows for field, resource in (("model_id", "models"), ("dataset_id", "datasets"))]
    names: dict[str, str] = {}
    with site_registry(default_home()) as registry:
        for key, resource, entity_id in wanted:
            if key in names:
                continue
            try:
                names[key] = str(getattr(registry, resource).get(entity_id).name)
            except ApiError:  # not visible to the site's identity: the id alone is shown
                continue
    return names


def _retry_hint(deployment_run: bool) -> str:
    if deployment_run:
        return "to be asked again, press Retry on this run in the Prefect UI"
    return "to be asked again, start the command again"


def await_approval(
    flow_run_id: str,
    title: str,
    payload: Payload,
    settings: SiteSettings,
    timeout_s: float,
    task: TaskDeclaration | None = None,
) -> State[Any] | Approved:
    """Show the payload and wait for the owner's answer: Approved, else the state to end the run in.

    A rejection ends the run Cancelled, named "Rejected", with the owner's comment (a decision, not a
    failure: no traceback). Repeated wrong codes or no answer in time end it Failed, with how to be asked
    again. Deployment runs suspend (no process is held; the re-run after resume finds earlier steps cached
    and the stored answers under the same pause keys). Runs called in-process (interactive CLI) cannot
    suspend, so they pause and poll every IN_PROCESS_POLL_SECONDS; deployment runs of a site whose
    `approval_wait` setting is "pause" poll every PAUSED_DEPLOYMENT_POLL_SECONDS. Either way the answer
    arrives via the run-input API. While another run of this site asks for the same payload, this run asks
    nothing and ends Cancelled, named "Duplicate" (medperf.site.approval_claims). A batch's form also takes
    the rows to reject; an answer naming rows the batch does not have decides nothing.
    """
    asking = ApprovalClaims(settings.data_root).claim(payload.kind, payload_digest(payload), flow_run_id,
                                                      prefect_run_is_final)
    if asking is not None:  # one open request per payload on a site: this run asks nothing
        get_run_logger().info("run %s already asks the data owner to approve this exact payload", asking)
        return Cancelled(
            name=DUPLICATE_STATE,
            message=f"run {asking} on this site already asks the data owner to approve this exact "
            f"{payload.kind} payload; this run asked nothing and uploaded nothing (answer that run's form)",
        )
    timeout_s = max(1, round(timeout_s))  # Prefect waits whole seconds
    digest = request_approval(flow_run_id, title, payload, settings)
    form_type = BatchApprovalInput if isinstance(payload, BatchPayload) else ApprovalInput
    form = form_type.with_initial_data(
        description=form_description(title, payload, _names(payload), wait_s=timeout_s, task=task)
    )
    logger = get_run_logger()
    logger.info(
        "waiting up to %s for the data owner's approval of the %s payload (sha256 %s...)",
        human_duration(timeout_s), payload.kind, digest[:12],
    )
    deployment_run = _is_deployment_run(FlowRunContext.get())
    suspend = deployment_run and settings.approval_wait == "suspend"
    poll_s = cast(int, PAUSED_DEPLOYMENT_POLL_SECONDS if deployment_run else IN_PROCESS_POLL_SECONDS)  # any float
    secret = load_or_create_site_secret(default_home())
    store = RunStore(settings.data_root)
    decision, comment, rejected_rows = Decision.WRONG_CODE, "", frozenset[int]()
    for key in itertools.islice(answer_keys(flow_run_id), MAX_ANSWERS):
        try:
            if suspend:
                answer = suspend_flow_run(wait_for_input=form, key=key, timeout=timeout_s)
            else:
                answer = pause_flow_run(
                    wait_for_input=form, key=key, timeout=timeout_s, poll_interval=poll_s
                )
        except FlowPauseTimeout:
            store.record_decision(flow_run_id, "expired", "")
            return Failed(
                name="Expired",
                message=f"no answer within {human_duration(timeout_s)}; nothing was uploaded "
                f"({_retry_hint(deployment_run)})",
            )
        comment = answer.comment
        given = Answer(answer.decision == "approve", comment, answer.approval_code)
        decision = judge(given, secret, flow_run_id, digest)
        if decision is Decision.APPROVED and isinstance(payload, BatchPayload):
            try:
                rejected_rows = parse_rows(getattr(answer, "reject_rows", ""), len(payload.rows))
            except ValueError as err:  # decides nothing: the owner is asked again
                store.record_answer(flow_run_id, "invalid-rows", key)
                logger.warning("an approval was ignored (%s); asking the data owner again", err)
                decision = Decision.WRONG_CODE
                continue
        store.record_answer(flow_run_id, decision.value, key)
        if decision is not Decision.WRONG_CODE:
            break
        # Neither an approval nor a rejection: whoever lacks the site's code cannot end the wait by answering.
        logger.warning("an answer with a wrong approval code was ignored; asking the data owner again")
    if rejected_rows:
        comment = f"{comment} [rows rejected: {', '.join(str(row) for row in sorted(rejected_rows))}]".strip()
    store.record_decision(flow_run_id, decision.value, comment, rejected_rows)
    logger.info("approval step ended: %s", decision.value)
    if decision is Decision.REJECTED:
        said = f" Comment: {comment}" if comment else ""
        message = f"the data owner rejected the upload; nothing was uploaded.{said}"
        return Cancelled(name=REJECTED_STATE, message=message)
    if decision is Decision.WRONG_CODE:
        return Failed(
            name="Unapproved",
            message=f"{MAX_ANSWERS} answers carried an approval code that does not match this run and payload; "
            f"nothing was uploaded ({_retry_hint(deployment_run)}, with the code from `medperf approvals ls` "
            "on the site machine)",
        )
    return Approved(rejected_rows)


def _aware(moment: datetime) -> datetime:
    """A registry time; the registry keeps UTC, so a time without a zone is UTC (not the site's local time)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def consent_holds(payload: ResultPayload, settings: SiteSettings, policy_version: int | None = None) -> bool:
    """Whether the data owner's standing consent covers this result, as the site itself sees it.

    Checked by the flow itself (never taken on trust from whoever dispatched the run): the consent must be
    in the registry, unexpired and unrevoked, and no explicit rejection of the same (benchmark, model,
    dataset) result on this site may be newer than it: a consent never overrides a later "no".
    """
    with site_registry(default_home()) as registry:
        consent = latest_standing_consent(registry, payload.benchmark_id, payload.dataset_id)
        # bound to what it was granted under: the model's container that ran and the release policy version
        check = registry.consents.check(
            payload.benchmark_id, payload.dataset_id, payload.model_id,
            model_container_id=payload.model_container_id, policy_version=policy_version,
        )
    if consent is None:
        return False
    if not check.holds:
        get_run_logger().info("the standing consent does not cover this result (%s): asking", check.reason)
        return False
    rejected_at = RunStore(settings.data_root).last_rejection(
        "result", benchmark_id=payload.benchmark_id, model_id=payload.model_id, dataset_id=payload.dataset_id
    )
    if rejected_at is not None and rejected_at >= _aware(consent.created_at):
        get_run_logger().info(
            "the data owner rejected this result on %s, after the standing consent of %s: asking again",
            rejected_at.isoformat(timespec="seconds"), consent.created_at.isoformat(timespec="seconds"),
        )
        return False
    return True


def record_standing_consent(flow_run_id: str, title: str, payload: Payload, settings: SiteSettings) -> None:
    """Record locally the payload uploaded under the data owner's standing consent, and that decision."""
    store = RunStore(settings.data_root)
    store.record_pending(flow_run_id, payload.kind, title, payload_dict(payload), payload_digest(payload))
    store.record_decision(flow_run_id, Decision.STANDING_CONSENT.value, "uploaded under the standing consent")
    get_run_logger().info("uploading under the data owner's standing consent; no approval pause")


def _sent_or_state(outcome: SendOutcome, what: str) -> int | State[Any]:
    if outcome.status == "sent" and outcome.registry_id is not None:
        return outcome.registry_id
    if outcome.status == "failed-will-retry":
        return Completed(
            name=QUEUED_STATE,
            message=f"approved; the registry did not answer, so the {what} waits in this site's outbox and is sent "
            "when it does (`medperf approvals ls` shows it; `medperf approvals send` tries now). Nobody is asked "
            "again.",
        )
    return Failed(name="Refused", message=f"approved, but the registry refused the {what}: {outcome.error}")


def approve_then_send(
    flow_run_id: str,
    title: str,
    payload: Payload,
    settings: SiteSettings,
    timeout_s: float,
    task: TaskDeclaration | None,
    target: dict[str, Any],
    *,
    consent: bool = False,
) -> int | State[Any]:
    """Ask the data owner (unless this exact payload was approved before), write the approval to the site's
    outbox, then send it: the registry id, or the state to end the run in (rejected, queued, refused).

    The outbox entry is written before anything is sent, so an approval survives a registry outage, a crash
    and a restart; an earlier approval of the same payload is reused, never asked for twice, and while another
    run of this site asks for the same payload, this run ends Cancelled, named "Duplicate", asking nothing.
    """
    logger = get_run_logger()
    outbox = Outbox(settings.data_root)
    digest = payload_digest(payload)
    earlier = outbox.approved(payload.kind, digest)
    if earlier is not None:
        logger.info("this exact payload was approved on %s (run %s); not asking again", earlier.approved_at,
                    earlier.flow_run_id)
        entry = earlier
    else:
        if consent:
            record_standing_consent(flow_run_id, title, payload, settings)
        elif isinstance(ended := await_approval(flow_run_id, title, payload, settings, timeout_s, task), State):
            return ended
        entry = outbox.put(f"{payload.kind}-{flow_run_id}", payload.kind, flow_run_id, payload_dict(payload),
                           digest, target)
    return _sent_or_state(send_approved(entry.entry_id, settings), payload.kind)
