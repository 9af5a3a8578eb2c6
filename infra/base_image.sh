#!/usr/bin/env bash
# Build the local base image medperf/base:bookworm (debootstrap minbase + python3, pip, numpy, yaml, openpyxl).
# Nothing is pulled from a registry; reuses the image when it already exists. The Debian mirror is the
# machine's own configured apt source (a site has its own mirror); $MEDPERF_DEBIAN_MIRROR overrides it.
# Usage: DOCKER_HOST=unix:///... infra/base_image.sh
set -euo pipefail

IMAGE="${MEDPERF_BASE_IMAGE:-medperf/base:bookworm}"
PACKAGES="python3,python3-pip,python3-venv,ca-certificates,python3-numpy,python3-yaml,python3-openpyxl"

apt_mirror() {  # the first Debian "main" archive URI of the machine's apt configuration
  local uri=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk '/^URIs:/ {print $2; exit}' "$f")
    case "$uri" in *security*) uri="" ;; esac
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
  fi
  echo "$uri"
}
MIRROR="${MEDPERF_DEBIAN_MIRROR:-$(apt_mirror)}"
if [ -z "$MIRROR" ]; then
  echo "no Debian mirror in /etc/apt/sources.list(.d); set MEDPERF_DEBIAN_MIRROR to your site's mirror" >&2
  exit 1
fi

VERSION=2  # bump when PACKAGES or the image settings change: an older image is rebuilt
if [ "$(docker image inspect -f '{{index .Config.Labels "org.medperf.base-version"}}' "$IMAGE" 2>/dev/null)" = "$VERSION" ]; then
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
  --change 'ENV PIP_BREAK_SYSTEM_PACKAGES=1' \
  --change "LABEL org.medperf.base-version=$VERSION" \
  --change 'ENV PIP_DISABLE_PIP_VERSION_CHECK=1' \
  --change 'CMD ["/bin/bash"]' \
  - "$IMAGE" >&2
echo "$IMAGE built"
