"""Prefect blocks: deliberately none yet — site settings travel as typed MEDPERF_SITE_* job variables.

DESIGN.md names this folder for the registry connection, object store, data site and runner settings.
We keep them in pydantic-settings objects (medperf/settings.py) passed to each flow run through the work
pool's job variables (deployments/site_plan.py) instead, because blocks live on the shared Prefect server
and a site's credentials (registry token, S3 keys, the approval secret) must stay on the site's machine.
Non-secret blocks that mirror those settings for display in the Prefect UI are a possible addition.
"""
