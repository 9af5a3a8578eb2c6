"""How site deployments are named: one work pool per site, one deployment per flow named after the site."""

EVALUATE_FLOW = "evaluate_model"
BATCH_FLOW = "evaluate_batch"  # a site's part of a campaign in one run, one approval
PREPARE_FLOW = "prepare_dataset"
CONTINUOUS_FLOW = "continuous_evaluation"
OUTBOX_FLOW = "deliver_outbox"


def deployment_name(flow_name: str, site: str) -> str:
    """The full deployment name run_deployment takes, e.g. "evaluate_model/site-a"."""
    return f"{flow_name}/{site}"
