"""Prefect blocks an operator views and edits in the UI: the data site and its registry connection (no secrets)."""
