#!/usr/bin/env bash
# Prints the path of Debian's busybox binary for a foreign architecture (default arm64), taken from
# the busybox-static:<arch> package. Test fixture for foreign images run under emulation.
#
# Usage: scripts/fetch-foreign-busybox.sh [ARCH]
#   The .deb and the extracted binary are cached under /var/cache/berth/busybox-static-<arch>/
#   (BERTH_CACHE_DIR overrides /var/cache/berth). On a fresh machine this adds the Debian
#   architecture (dpkg --add-architecture), refreshes apt's lists and downloads the package; the
#   binary is extracted under a temporary name and renamed into place, so an interrupted run
#   never leaves a cache that looks valid.
set -euo pipefail
arch=${1:-arm64}
case "$arch" in *[!a-z0-9]*|'') echo "fetch-foreign-busybox: bad architecture: $arch" >&2; exit 2 ;; esac
cache=${BERTH_CACHE_DIR:-/var/cache/berth}/busybox-static-$arch
bin=$cache/busybox
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
mkdir -p "$cache"
log() { printf 'fetch-foreign-busybox: %s\n' "$*" >&2; }

# apt-get download needs the architecture known to dpkg and its package lists fetched.
if [ "$(dpkg --print-architecture)" != "$arch" ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
  log "adding the Debian architecture $arch"
  dpkg --add-architecture "$arch"
fi
if ! apt-cache show "busybox-static:$arch" >/dev/null 2>&1; then
  log "apt-get update (for $arch)"
  apt-get update -qq >&2
fi
work=$(mktemp -d "$cache/.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -qq -o APT::Sandbox::User=root "busybox-static:$arch" >&2)
deb=$(ls "$work"/busybox-static_*.deb)
dpkg-deb -x "$deb" "$work/x"
install -m 0755 "$work/x/bin/busybox" "$cache/busybox.tmp"
mv -f "$cache/busybox.tmp" "$bin"
cp "$deb" "$cache/" # kept for reference: the version the binary came from
echo "$bin"
