#!/usr/bin/env bash
# Makes debian:bookworm in a running berthd: a minbase Debian bookworm bootstrapped with mmdebstrap
# from the host's Debian mirror, imported with Docker's debian image config (CMD bash, ENV PATH).
#
# Usage: scripts/make-debian-base.sh [-H unix:///path/to/berth.sock] [--tag debian:bookworm] [--refresh]
#   The daemon is -H/--host, else $DOCKER_HOST, else berth's default socket.
#   Does nothing when the image already exists (idempotent).
#
# The rootfs tar is cached as /var/cache/berth/debian-bookworm-minbase.tar (override the directory
# with BERTH_CACHE_DIR) with a .sha256 beside it; a cache entry that does not match its checksum or
# is older than BERTH_DEBIAN_MAX_AGE_DAYS (default 30) is rebuilt. The tar is written under a
# temporary name and renamed into place, so an interrupted run never leaves a cache that looks
# valid. --refresh rebuilds the cache even when it is valid.
# The mirror is the host's (the first .../debian URI in its apt sources); BERTH_DEBIAN_MIRROR and
# BERTH_DEBIAN_SECURITY_MIRROR override it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
berth_bin=${BERTH:-$here/../bin/berth}
tag=debian:bookworm
suite=bookworm
refresh=0
while [ $# -gt 0 ]; do
  case "$1" in
    -H|--host) export DOCKER_HOST=${2:?-H needs a value}; shift 2 ;;
    -H=*|--host=*) export DOCKER_HOST=${1#*=}; shift ;;
    --tag) tag=${2:?--tag needs a value}; shift 2 ;;
    --refresh) refresh=1; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "make-debian-base.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
berth() { "$berth_bin" "$@"; }
log() { printf 'make-debian-base: %s\n' "$*" >&2; }

if berth image inspect "$tag" >/dev/null 2>&1; then
  log "$tag already exists"
  exit 0
fi
berth version >/dev/null || { log "cannot reach berthd (${DOCKER_HOST:-default socket})"; exit 1; }

cache_dir=${BERTH_CACHE_DIR:-/var/cache/berth}
max_age=${BERTH_DEBIAN_MAX_AGE_DAYS:-30}
tarball=$cache_dir/debian-$suite-minbase.tar
mkdir -p "$cache_dir"

# First URI in the host's apt sources (one-line or deb822) whose path ends in $1 (/debian or /debian-security).
host_mirror() {
  local suffix=$1 f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    grep -v '^[[:space:]]*#' "$f" | grep -oE '(https?|file)://[^[:space:]]+' | sed 's:/*$::' | grep -E "${suffix}\$" | head -n1
  done | head -n1
}
mirror=${BERTH_DEBIAN_MIRROR:-$(host_mirror /debian)}
mirror=${mirror:-http://deb.debian.org/debian}
security=${BERTH_DEBIAN_SECURITY_MIRROR:-$(host_mirror /debian-security)}
security=${security:-http://deb.debian.org/debian-security}

cache_valid() {
  [ -s "$tarball" ] && [ -s "$tarball.sha256" ] || return 1
  [ -n "$(find "$tarball" -mtime -"$max_age" 2>/dev/null)" ] || { log "cache is older than $max_age days"; return 1; }
  (cd "$cache_dir" && sha256sum --status -c "$(basename "$tarball").sha256")
}

# One bootstrap at a time per cache directory (a second run waits, then finds the cache).
exec 9>"$cache_dir/.debian-$suite.lock"
flock 9
# Under the lock no one else is writing: temporaries here are left by an interrupted run.
rm -f "$cache_dir/.debian-$suite".*.tar "$cache_dir/.debian-$suite".*.tar.sha256 "$cache_dir/.debian-$suite".*.tar.log

if [ "$refresh" = 1 ] || ! cache_valid; then
  command -v mmdebstrap >/dev/null || { log "mmdebstrap is not installed (apt-get install mmdebstrap)"; exit 1; }
  hooks=/usr/share/mmdebstrap/hooks/merged-usr
  [ -d "$hooks" ] || { log "missing $hooks (mmdebstrap >= 1.0 has it)"; exit 1; }
  tmp=$(mktemp "$cache_dir/.debian-$suite.XXXXXX.tar")
  trap 'rm -f "$tmp" "$tmp.sha256" "$tmp.log"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  log "bootstrapping Debian $suite (minbase) from $mirror into $tarball"
  start=$(date +%s)
  # Docker's debian images: no man pages, docs or translations (copyrights kept); the dpkg config
  # stays in the image so packages installed later in RUN steps are slimmed the same way.
  # No device nodes in the tar (Berth refuses them in layers; the runtime makes /dev).
  mmdebstrap --variant=minbase --mode=root --format=tar --quiet \
    --hook-dir="$hooks" --skip=output/dev \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --aptopt='Acquire::Languages "none"' \
    --customize-hook='rm -f "$1/etc/hostname" "$1/etc/resolv.conf"; : > "$1/etc/hostname"; : > "$1/etc/resolv.conf"' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb "$1"/var/log/apt/* "$1"/var/log/dpkg.log "$1"/var/log/alternatives.log' \
    "$suite" "$tmp" \
    "deb $mirror $suite main" \
    "deb $mirror $suite-updates main" \
    "deb $security $suite-security main" >"$tmp.log" 2>&1 || { cat "$tmp.log" >&2; exit 1; }
  rm -f "$tmp.log"
  tar -tf "$tmp" ./usr/bin/apt-get >/dev/null
  echo "$(sha256sum < "$tmp" | cut -d' ' -f1)  $(basename "$tarball")" > "$tmp.sha256"
  chmod 644 "$tmp"
  mv -f "$tmp" "$tarball"
  mv -f "$tmp.sha256" "$tarball.sha256"
  trap - EXIT INT TERM
  log "bootstrapped in $(( $(date +%s) - start )) s ($(du -h "$tarball" | cut -f1))"
else
  log "using cached $tarball"
fi

berth import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["bash"]' \
  --message "Debian $suite minbase (mmdebstrap) from $mirror" \
  "$tarball" "$tag" >/dev/null
log "imported $tag"
