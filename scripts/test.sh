#!/usr/bin/env bash
# The test command: set up .venv, start the real services the tests need, run lint, types and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1 PREFECT_TELEMETRY_ENABLED=false
START=$SECONDS
LAST=$SECONDS
PHASE="apt"
phase() {  # "[test] <next phase>", after the time the phase before it took
  echo "[test] $PHASE took $((SECONDS - LAST)) s; $1"
  PHASE=$1
  LAST=$SECONDS
}

# System packages the integration tests use (apt as root on a fresh Debian machine).
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
[ -x /usr/bin/chromium ] || need+=(chromium)  # the browser test of the Prefect UI (tests/ui)
if [ ${#need[@]} -gt 0 ]; then
  echo "[test] apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

phase "bootstrap"
scripts/bootstrap.sh
PY=.venv/bin/python
SERVICES=${MEDPERF_TEST_SERVICES:-$(mktemp -d /tmp/medperf-test-services.XXXXXX)}
chmod 755 "$SERVICES"  # Postgres runs as the postgres system user and must reach its folder
OWN_STACK=""
cleanup() {
  echo "[test] $PHASE took $((SECONDS - LAST)) s; total $((SECONDS - START)) s"
  [ -z "$OWN_STACK" ] || $PY infra/stack.py down --dir "$OWN_STACK" >/dev/null 2>&1 || true
  $PY infra/postgres.py stop "$SERVICES/pg" >/dev/null 2>&1 || true
  [ -n "${MEDPERF_TEST_SERVICES:-}" ] || rm -rf "$SERVICES"  # a folder this run made
}
trap cleanup EXIT

phase "starting Postgres"
MEDPERF_TEST_POSTGRES_URL=$($PY infra/postgres.py start "$SERVICES/pg")
export MEDPERF_TEST_POSTGRES_URL
# One central stack (Postgres, SeaweedFS, Prefect and MedPerf on Postgres: infra/stack.py) for every pytest worker:
# the deployment and fault modules name their users, sites and pools uniquely, so they share it (tests/conftest.py
# reuses the stack in $MEDPERF_TEST_STACK_DIR) instead of each worker starting and idling its own.
STACK_PID=""
if [ -z "${MEDPERF_TEST_STACK_DIR:-}" ]; then
  OWN_STACK="$SERVICES/stack"
  $PY infra/stack.py up --dir "$OWN_STACK" >"$SERVICES/stack.log" 2>&1 &
  STACK_PID=$!
fi
phase "starting dockerd and the local base image"
DOCKER_HOST=$(bash infra/dockerd.sh)
export DOCKER_HOST
bash infra/base_image.sh

phase "the central stack (started beside dockerd)"
if [ -n "$STACK_PID" ]; then
  wait "$STACK_PID" || { echo "[test] the central stack did not start: see $SERVICES/stack.log"; cat "$SERVICES/stack.log"; exit 1; }
  export MEDPERF_TEST_STACK_DIR="$OWN_STACK"
fi

phase "pytest (ruff + mypy beside it)"
# Lint and types run beside pytest (they need no service); their output and verdict come after pytest's.
LINT_LOG=$(mktemp)
(
  lint_start=$SECONDS
  .venv/bin/ruff check medperf flows tasks blocks deployments tests benchmarks infra examples
  .venv/bin/mypy medperf flows tasks blocks deployments
  echo "[test] ruff + mypy took $((SECONDS - lint_start)) s (beside pytest)"
) > "$LINT_LOG" 2>&1 &
LINT_PID=$!

# pytest runs on MEDPERF_TEST_WORKERS parallel workers (pytest-xdist, 4 by default; 0 runs it serially). Each
# test module runs whole on one worker, the modules in file order (see tests/conftest.py). Since the sites' runs
# start warm (medperf/site/flow_forkserver.py) the suite needs about half the CPU it did and waits on servers
# and timeouts much of the time, so on this 2-core machine 4 workers finish sooner than 2 (821 s against
# 996 s in the working tree, before the imaging demo's two runners were split across workers).
workers=()
if [ "${MEDPERF_TEST_WORKERS:-4}" != "0" ]; then
  workers=(-n "${MEDPERF_TEST_WORKERS:-4}" --dist loadgroup --no-loadscope-reorder)  # groups in file order
fi
# pytest's CPU time (with the servers it starts and waits for) against its wall time: how busy the 2 cores were.
TIMEFORMAT="[test] pytest used %U s user and %S s system CPU in %R s"
status=0
MEDPERF_TEST_CPU_REPORT=$(mktemp -d)  # CPU per test module (tests/support/cpu_report.py): where the CPU goes
export MEDPERF_TEST_CPU_REPORT
time .venv/bin/pytest --durations=25 "${workers[@]}" "$@" || status=$?  # the 25 slowest steps: where the time goes
.venv/bin/python tests/support/cpu_report.py "$MEDPERF_TEST_CPU_REPORT" || true
rm -rf "$MEDPERF_TEST_CPU_REPORT"
lint=0
wait "$LINT_PID" || lint=$?
cat "$LINT_LOG"
rm -f "$LINT_LOG"
[ "$lint" -eq 0 ] || { echo "[test] ruff or mypy failed (above)"; exit "$lint"; }
exit "$status"
