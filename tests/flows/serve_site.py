"""Serve the site flows as deployments (`flow.serve`-style Runner, no worker) so their runs can suspend."""

from prefect import serve

from flows.evaluate_model import evaluate_model
from flows.prepare_dataset import prepare_dataset

if __name__ == "__main__":
    deployments = [flow.to_deployment(name="site-a") for flow in (prepare_dataset, evaluate_model)]
    serve(*deployments, limit=1)  # type: ignore[arg-type]
