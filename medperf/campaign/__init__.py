"""Campaigns of a benchmark: which (model, dataset) pairs to run, and the model x site status matrix."""
