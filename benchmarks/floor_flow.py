"""A trivial flow whose module imports only prefect: Prefect's floor for dispatch latency (benchmarks/dispatch.py)."""

from prefect import flow


@flow(name="dispatch_floor", persist_result=False)
def dispatch_floor() -> int:
    """Return at once: what dispatch costs when the flow module costs nothing."""
    return 0
