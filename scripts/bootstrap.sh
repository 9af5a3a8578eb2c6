#!/usr/bin/env bash
# Create .venv (Python 3.11) and install MedPerf with its dev tools; idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.medperf-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "[bootstrap] installing MedPerf into .venv (first run takes a few minutes)"
  # uv installs the same pinned set from the indexes pip is configured with (scripts/pip_to_uv.py): 33 s, pip
  # took 45-60 s. Then compiled to bytecode as pip does: where PYTHONDONTWRITEBYTECODE is set, every process
  # (each flow run, server, worker) would compile its imports again (the suite took 2x the CPU). Not the packages'
  # own test suites, pip or setuptools, which nothing imports (27 s of CPU for everything, 20 s without them).
  # pip installs it where uv cannot.
  if .venv/bin/pip install -q uv >/dev/null 2>&1 && mapfile -t uv_options < <(.venv/bin/python scripts/pip_to_uv.py) \
      && .venv/bin/uv pip install -q --native-tls --python .venv/bin/python "${uv_options[@]}" \
        -c constraints.txt -e ".[dev]"; then
    site_packages=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_path('purelib'))")
    .venv/bin/python -m compileall -q -j 0 -x '/(tests?|pip|setuptools|mypy|mypyc)/' "$site_packages" >/dev/null || true
    echo "[bootstrap] installed with uv"
  else
    echo "[bootstrap] uv could not install; installing with pip"
    .venv/bin/pip install -q --upgrade pip >/dev/null 2>&1 || true
    .venv/bin/pip install -q -c constraints.txt -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
  fi
  .venv/bin/python -c "import medperf, prefect, great_expectations" || { echo "[bootstrap] install failed"; exit 1; }
  touch "$stamp"
fi
# The project's own modules as bytecode too (an editable install leaves them as source): with
# PYTHONDONTWRITEBYTECODE set, each process would compile them again (~0.4 s of CPU per process measured).
# Quick when nothing changed; a module edited later is compiled in memory until the next run of this script.
.venv/bin/python -m compileall -q -j 0 medperf flows tasks blocks deployments >/dev/null || true
