#!/usr/bin/env bash
# The README's main command: install MedPerf into .venv when needed, then run the whole federated
# evaluation of the breast-cancer benchmark on this machine, approving each upload after showing it.
# Extra flags go to `medperf demo`, e.g. `bash scripts/demo.sh --no-keep` or `--runner docker`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1
exec .venv/bin/medperf demo --yes "$@"
