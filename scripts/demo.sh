#!/usr/bin/env bash
# The README's main command: install MedPerf into .venv when needed, then run the whole federated
# evaluation of the breast-cancer benchmark on this machine, approving each upload after showing it.
# Extra flags go to `medperf demo`, e.g. `bash scripts/demo.sh --no-keep` or `--runner docker`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[demo] installing bubblewrap (the sandbox that isolates each container task)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; } \
      || true
  fi
  if ! command -v bwrap >/dev/null 2>&1; then
    echo "[demo] bubblewrap is not available: the demo's public data runs UNISOLATED (each site log says so)."
    echo "[demo] Install bubblewrap for isolation; a real site refuses unisolated runs unless told otherwise."
    export MEDPERF_SITE_ALLOW_UNISOLATED=true
  fi
fi
bash scripts/bootstrap.sh
export PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1
exec .venv/bin/medperf demo --yes "$@"
