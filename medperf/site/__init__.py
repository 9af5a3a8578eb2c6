"""Plain site-side functions behind the Prefect tasks: data checks, statistics, policy, approval, payloads."""
