"""A registry worker loads what serving needs: no migration tooling, no per-request telemetry unless asked."""

import subprocess
import sys

from medperf.server.app import create_app
from medperf.settings import ServerSettings

WORKER = """
import sys
from medperf.server.app import app_from_environment
app_from_environment()
print(sorted(name for name in ("alembic", "mako", "pygments") if name in sys.modules))
"""


def test_a_worker_app_does_not_load_the_migration_tooling() -> None:
    env = {"MEDPERF_SERVER_DATABASE_URL": "sqlite:///:memory:", "PATH": "/usr/bin:/bin"}
    loaded = subprocess.run([sys.executable, "-c", WORKER], env=env, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]", loaded.stdout + loaded.stderr


def test_request_telemetry_is_off_unless_the_operator_turns_it_on() -> None:
    off = create_app(ServerSettings(database_url="sqlite:///:memory:"), upgrade_db=False)
    on = create_app(ServerSettings(database_url="sqlite:///:memory:", telemetry=True), upgrade_db=False)
    flags = ("tracing", "metrics", "logs", "operation_spans")
    assert [off._telemetry[flag] for flag in flags] == [False] * 4
    assert [on._telemetry[flag] for flag in flags] == [True] * 4
