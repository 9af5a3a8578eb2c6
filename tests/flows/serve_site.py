"""Serve the site flows as deployments (`flow.serve`-style Runner, no worker) so their runs can suspend."""

from prefect import serve

from flows.evaluate_model import evaluate_model
from flows.prepare_dataset import prepare_dataset

if __name__ == "__main__":
    serve(
        prepare_dataset.to_deployment(name="site-a"),
        evaluate_model.to_deployment(name="site-a"),
        limit=1,
    )
