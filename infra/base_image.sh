#!/usr/bin/env bash
# Build the local base image medperf/base:bookworm (debootstrap minbase + python3, numpy, yaml, openpyxl).
# Nothing is pulled from a registry; reuses the image when it already exists.
# Usage: DOCKER_HOST=unix:///... infra/base_image.sh   (mirror: $MEDPERF_DEBIAN_MIRROR)
set -euo pipefail

IMAGE="${MEDPERF_BASE_IMAGE:-medperf/base:bookworm}"
MIRROR="${MEDPERF_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PACKAGES="python3,python3-numpy,python3-yaml,python3-openpyxl"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE already present"
  exit 0
fi

ROOTFS="$(mktemp -d /var/tmp/medperf-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT

echo "debootstrap bookworm from $MIRROR into $ROOTFS (takes a few minutes)" >&2
debootstrap --variant=minbase --include="$PACKAGES" bookworm "$ROOTFS" "$MIRROR" >&2
# Trim caches so the image stays small.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*

tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  - "$IMAGE" >&2
echo "$IMAGE built"
