#!/usr/bin/env bash
# Start a private dockerd (no bridge, no iptables) in the background and print its DOCKER_HOST.
# Reuses a daemon already answering on the socket. Usage: infra/dockerd.sh [--host] [DIR]
# DIR defaults to $MEDPERF_DOCKER_DIR or /var/lib/medperf-docker (images persist between runs).
# --host prints the DOCKER_HOST the daemon has (or will have) and starts nothing.
set -euo pipefail

HOST_ONLY=""
if [ "${1:-}" = "--host" ]; then HOST_ONLY=1; shift; fi
DIR="${1:-${MEDPERF_DOCKER_DIR:-/var/lib/medperf-docker}}"
SOCK="$DIR/docker.sock"
HOST="unix://$SOCK"
if [ -n "$HOST_ONLY" ]; then
  echo "$HOST"
  exit 0
fi
DEADLINE_S="${MEDPERF_DOCKERD_DEADLINE_S:-60}"
mkdir -p "$DIR/data" "$DIR/exec"

answers() { docker -H "$HOST" info >/dev/null 2>&1; }

if answers; then
  echo "$HOST"
  exit 0
fi

start() {  # $1 = storage driver
  rm -f "$SOCK"
  nohup dockerd --bridge=none --iptables=false --ip6tables=false --storage-driver="$1" \
    -H "$HOST" --data-root "$DIR/data" --exec-root "$DIR/exec" --pidfile "$DIR/dockerd.pid" \
    >"$DIR/dockerd-$1.log" 2>&1 </dev/null &
  local pid=$!
  local end=$((SECONDS + DEADLINE_S))
  while ((SECONDS < end)); do
    if answers; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.2
  done
  kill "$pid" 2>/dev/null || true
  return 1
}

if start overlay2; then
  echo "$HOST"
  exit 0
fi
echo "dockerd: overlay2 failed (see $DIR/dockerd-overlay2.log), trying vfs" >&2
if start vfs; then
  echo "$HOST"
  exit 0
fi
echo "dockerd did not answer within ${DEADLINE_S}s; see $DIR/dockerd-vfs.log" >&2
exit 1
