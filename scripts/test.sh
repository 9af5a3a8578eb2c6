#!/usr/bin/env bash
# The test command: set up .venv, start the real services the tests need, run lint, types and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1 PREFECT_TELEMETRY_ENABLED=false
START=$SECONDS
LAST=$SECONDS
PHASE="bootstrap (apt, dockerd and the base image beside it)"
phase() {  # "[test] <next phase>", after the time the phase before it took
  echo "[test] $PHASE took $((SECONDS - LAST)) s; $1"
  PHASE=$1
  LAST=$SECONDS
}

# Two lanes side by side, each with its own log: the system lane (apt as root on a fresh Debian machine, then a
# private dockerd and the local base image, mostly downloads) and the Python lane (.venv, Postgres, the central
# stack, then ruff + mypy, which need no service and so overlap the base image and pytest's start).
SERVICES=${MEDPERF_TEST_SERVICES:-$(mktemp -d /tmp/medperf-test-services.XXXXXX)}
chmod 755 "$SERVICES"  # Postgres runs as the postgres system user and must reach its folder
PY=.venv/bin/python
OWN_STACK=""
SYSTEM_PID=""
cleanup() {
  [ -z "$SYSTEM_PID" ] || kill "$SYSTEM_PID" 2>/dev/null || true  # a lane still running when the script failed
  echo "[test] $PHASE took $((SECONDS - LAST)) s; total $((SECONDS - START)) s"
  [ -z "$OWN_STACK" ] || $PY infra/stack.py down --dir "$OWN_STACK" >/dev/null 2>&1 || true
  $PY infra/postgres.py stop "$SERVICES/pg" >/dev/null 2>&1 || true
  [ -n "${MEDPERF_TEST_SERVICES:-}" ] || rm -rf "$SERVICES"  # a folder this run made
}
trap cleanup EXIT

system_lane() {  # apt packages (then $SERVICES/packages_ready), dockerd, the base image
  local need=()
  command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
  command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
  [ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
  [ -x /usr/bin/chromium ] || need+=(chromium)  # the browser test of the Prefect UI (tests/ui)
  if [ ${#need[@]} -gt 0 ]; then
    echo "[test] apt-get install ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq "${need[@]}" >&2
  fi
  echo "[test] system packages ready after $((SECONDS - START)) s" >&2
  touch "$SERVICES/packages_ready"
  bash infra/dockerd.sh >/dev/null
  bash infra/base_image.sh >&2
  echo "[test] dockerd and the base image ready after $((SECONDS - START)) s" >&2
}
# Docker tests wait for the lane's verdict in $MEDPERF_TEST_DOCKER_READY (tests/support/docker_ready.py), so pytest
# starts once the Python lane and the system packages are ready, and the base image's downloads overlap the first
# tests. Its log is system.log beside that file.
export MEDPERF_TEST_DOCKER_READY="$SERVICES/docker_ready"
DOCKER_HOST=$(bash infra/dockerd.sh --host)  # the daemon's socket, known before the lane starts it
export DOCKER_HOST
( if system_lane 2>"$SERVICES/system.log"; then verdict=ok; else verdict=failed; fi
  echo "$verdict" >"$SERVICES/docker_ready.tmp" && mv "$SERVICES/docker_ready.tmp" "$MEDPERF_TEST_DOCKER_READY"
  [ "$verdict" = ok ] ) &
SYSTEM_PID=$!

scripts/bootstrap.sh
# Bytecode is written for this run (a machine may set PYTHONDONTWRITEBYTECODE): pytest then keeps each test
# module's assertion-rewritten code instead of every worker and child process compiling it again (collecting the
# suite: 10 s of CPU per worker without the cache, 7 s with it). One collection warms that cache beside the
# services' start, before the workers collect.
unset PYTHONDONTWRITEBYTECODE
.venv/bin/pytest --collect-only -q -p no:cacheprovider >/dev/null 2>&1 &
WARM_PID=$!

# Lint and types run beside everything after (they need no service); their output and verdict come after pytest's.
LINT_LOG=$(mktemp)
# Their caches live on the machine, not in the checkout (as the uv cache and the sandbox environments do): a
# clean clone checks only what changed since the machine's last run (mypy: 90 s cold, a few s warm; a cache
# entry is used only when the file's content hash matches).
LINT_CACHE=${MEDPERF_LINT_CACHE:-${TMPDIR:-/tmp}/medperf-lint-cache}
export MYPY_CACHE_DIR=$LINT_CACHE/mypy RUFF_CACHE_DIR=$LINT_CACHE/ruff
(
  lint_start=$SECONDS
  .venv/bin/ruff check medperf flows tasks blocks deployments tests benchmarks infra examples
  .venv/bin/mypy medperf flows tasks blocks deployments
  echo "[test] ruff + mypy took $((SECONDS - lint_start)) s (beside the services and pytest)"
) > "$LINT_LOG" 2>&1 &
LINT_PID=$!

phase "waiting for the system packages (apt)"
# Postgres, bubblewrap (every sandbox test) and chromium come from the system lane's apt on a machine without them:
# nothing below starts before that part of the lane is done.
until [ -f "$SERVICES/packages_ready" ]; do
  kill -0 "$SYSTEM_PID" 2>/dev/null || [ -f "$SERVICES/packages_ready" ] \
    || { echo "[test] apt-get install failed:"; tail -50 "$SERVICES/system.log"; exit 1; }
  sleep 0.5
done

phase "starting Postgres"
MEDPERF_TEST_POSTGRES_URL=$($PY infra/postgres.py start "$SERVICES/pg")
export MEDPERF_TEST_POSTGRES_URL

# One central stack (Postgres, SeaweedFS, Prefect and MedPerf on Postgres: infra/stack.py) for every pytest worker:
# the deployment and fault modules name their users, sites and pools uniquely, so they share it (tests/conftest.py
# reuses the stack in $MEDPERF_TEST_STACK_DIR) instead of each worker starting and idling its own.
phase "the central stack"
if [ -z "${MEDPERF_TEST_STACK_DIR:-}" ]; then
  OWN_STACK="$SERVICES/stack"
  $PY infra/stack.py up --dir "$OWN_STACK" >"$SERVICES/stack.log" 2>&1 \
    || { echo "[test] the central stack did not start: see $SERVICES/stack.log"; cat "$SERVICES/stack.log"; exit 1; }
  export MEDPERF_TEST_STACK_DIR="$OWN_STACK"
fi

wait "$WARM_PID" || true  # a failed collection shows again, with its errors, in pytest's own run below
phase "pytest (ruff + mypy, and dockerd and the base image until ready, beside it)"
# pytest runs on MEDPERF_TEST_WORKERS parallel workers (pytest-xdist, 4 by default; 0 runs it serially). Each
# test module runs whole on one worker, the longest modules first (tests/conftest.py, tests/support/schedule.py).
# On this 2-core machine the run keeps both cores busy from start to end (sampled from /proc/stat: 95-100 %),
# so more workers do not shorten it; the four end within a few seconds of each other.
workers=()
if [ "${MEDPERF_TEST_WORKERS:-4}" != "0" ]; then
  workers=(-n "${MEDPERF_TEST_WORKERS:-4}" --dist loadgroup --no-loadscope-reorder)  # groups in our order
fi
# pytest's CPU time (with the servers it starts and waits for) against its wall time: how busy the 2 cores were.
TIMEFORMAT="[test] pytest used %U s user and %S s system CPU in %R s"
status=0
MEDPERF_TEST_CPU_REPORT=$(mktemp -d)  # CPU per test module (tests/support/cpu_report.py): where the CPU goes
export MEDPERF_TEST_CPU_REPORT
time .venv/bin/pytest --durations=25 "${workers[@]}" "$@" || status=$?  # the 25 slowest steps: where the time goes
record=()  # MEDPERF_TEST_RECORD_DURATIONS=1: the modules' wall times become the workers' order next time
[ -z "${MEDPERF_TEST_RECORD_DURATIONS:-}" ] || record=(--durations)
.venv/bin/python tests/support/cpu_report.py "$MEDPERF_TEST_CPU_REPORT" "${record[@]}" || true
rm -rf "$MEDPERF_TEST_CPU_REPORT"
system=0
wait "$SYSTEM_PID" || system=$?
grep "^\[test\]" "$SERVICES/system.log" || true  # when the system lane's parts were ready
[ "$system" -eq 0 ] || { echo "[test] apt, dockerd or the base image failed:"; tail -50 "$SERVICES/system.log"; }
lint=0
wait "$LINT_PID" || lint=$?
cat "$LINT_LOG"
rm -f "$LINT_LOG"
[ "$lint" -eq 0 ] || { echo "[test] ruff or mypy failed (above)"; exit "$lint"; }
[ "$system" -eq 0 ] || exit "$system"
exit "$status"
