"""Flow: scheduled per site; sends the approved uploads still waiting in the site's outbox (registry outages)."""

from prefect import flow, get_run_logger

from blocks.data_site import with_operator_edits
from medperf.settings import SiteSettings
from medperf.site.lost_runs import report_lost_runs
from medperf.site.outbox_sender import send_due


@flow(name="deliver_outbox", persist_result=False)
def deliver_outbox() -> int:
    """Send every approved upload whose retry time has come; returns how many are still waiting.

    Nothing is asked here: only payloads the data owner approved are in the outbox, each sent once. Runs
    that stopped on a lost server get the site's line as their Prefect state message (lost_runs).
    """
    settings = with_operator_edits(SiteSettings())
    tried = send_due(settings.data_root)
    logger = get_run_logger()
    for flow_run_id, outcome in report_lost_runs(settings.data_root).items():  # the server answers again
        logger.info("run %s had lost the server and stopped; its state now says so (%s)", flow_run_id, outcome)
    for entry in tried:
        logger.info("%s of run %s: %s", entry.kind, entry.flow_run_id, entry.status)
    waiting = sum(1 for entry in tried if entry.status == "failed-will-retry")
    logger.info("%d approved upload(s) tried, %d still waiting for the registry", len(tried), waiting)
    return waiting
