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

# The machine's pip index settings that also work inside an image (http(s) index URLs, and their trusted
# hosts) become the image's /etc/pip.conf, so `RUN pip install` in a project's Dockerfile uses the site's
# index. They are added as a small layer (no rebuild of the system) whenever they change; none: no layer.
site_pip_conf() {
  command -v python3 >/dev/null 2>&1 || return 0
  python3 - <<'PY'
import configparser, os, pathlib
home = pathlib.Path.home()
files = [pathlib.Path(d) / "pip" / "pip.conf" for d in os.environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":") if d]
files += [pathlib.Path("/etc/pip.conf"), home / ".pip" / "pip.conf",
          pathlib.Path(os.environ.get("XDG_CONFIG_HOME", str(home / ".config"))) / "pip" / "pip.conf"]
if os.environ.get("PIP_CONFIG_FILE"):
    files.append(pathlib.Path(os.environ["PIP_CONFIG_FILE"]))
keys = ("index-url", "extra-index-url", "find-links", "trusted-host")
found = {}
for path in files:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path)
    except (configparser.Error, OSError, UnicodeDecodeError):
        continue
    for section in ("global", "install"):
        for key in keys:
            if parser.has_option(section, key):
                found[key] = parser.get(section, key)
for key in keys:
    value = os.environ.get("PIP_" + key.upper().replace("-", "_"))
    if value is not None:
        found[key] = value
lines = []
for key in keys[:3]:
    urls = [url for url in found.get(key, "").split() if url.startswith(("http://", "https://"))]
    if urls:
        lines.append(f"{key} = " + " ".join(urls[:1] if key == "index-url" else urls))
if lines and found.get("trusted-host", "").split():
    lines.append("trusted-host = " + " ".join(found["trusted-host"].split()))
if lines:
    print("[global]\n" + "\n".join(lines))
PY
}
PIP_CONF="$(site_pip_conf)"
PIP_LABEL=""
[ -n "$PIP_CONF" ] && PIP_LABEL="$(printf '%s' "$PIP_CONF" | sha256sum | cut -c1-16)"

apply_pip_settings() {  # a layer with /etc/pip.conf when the image's settings differ from the machine's
  local current
  current="$(docker image inspect -f '{{index .Config.Labels "org.medperf.pip-settings"}}' "$IMAGE" 2>/dev/null | sed 's/<no value>//')"
  [ "$current" = "$PIP_LABEL" ] && return 0
  local context
  context="$(mktemp -d)"
  printf '%s\n' "$PIP_CONF" > "$context/pip.conf"
  printf 'FROM %s\nCOPY pip.conf /etc/pip.conf\nLABEL org.medperf.pip-settings="%s"\n' "$IMAGE" "$PIP_LABEL" > "$context/Dockerfile"
  DOCKER_BUILDKIT=0 docker build --network none -q -t "$IMAGE" "$context" >&2
  rm -rf "$context"
  echo "$IMAGE: pip settings of this machine applied (/etc/pip.conf)" >&2
}

VERSION=3  # bump when PACKAGES or the image settings change: an older image is rebuilt
if [ "$(docker image inspect -f '{{index .Config.Labels "org.medperf.base-version"}}' "$IMAGE" 2>/dev/null)" = "$VERSION" ]; then
  apply_pip_settings
  echo "$IMAGE already present"
  exit 0
fi

ROOTFS="$(mktemp -d /var/tmp/medperf-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT

echo "debootstrap bookworm from $MIRROR into $ROOTFS (takes a few minutes)" >&2
debootstrap --variant=minbase --include="$PACKAGES" bookworm "$ROOTFS" "$MIRROR" >&2
# The site's own certificate authorities (a hospital's TLS proxy, a private package mirror): the image
# trusts what this machine trusts, so `pip install` in a project's Dockerfile reaches the site's index.
if [ -d /usr/local/share/ca-certificates ]; then
  mkdir -p "$ROOTFS/usr/local/share/ca-certificates"
  cp -a /usr/local/share/ca-certificates/. "$ROOTFS/usr/local/share/ca-certificates/"
fi
[ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
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
apply_pip_settings
echo "$IMAGE built"
