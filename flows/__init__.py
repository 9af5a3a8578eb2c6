"""The site's Prefect flows; importing them stops each flow run's heartbeat thread at the run's end."""

from medperf.prefect_heartbeats import stop_heartbeats_promptly

stop_heartbeats_promptly()  # every process that runs a flow imports it from here (CLI, fork server, prefect.engine)
