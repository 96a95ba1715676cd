#!/usr/bin/env bash
# One command for a fresh Debian bookworm machine (as root): installs what Berth needs, builds it,
# starts berthd, makes busybox:latest from Debian's busybox-static and runs containers, then
# brings up the main demo: examples/django-postgres-nginx with `berth compose up -d --build`.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends crun runc busybox-static tini catatonit \
  golang-github-containers-common iproute2 nftables procps util-linux gcc libc6-dev mmdebstrap >/dev/null
npm ci --no-audit --no-fund
npm run build
export PATH="$PWD/bin:$PATH"

sock=/run/berth/berth.sock
if ! berth version >/dev/null 2>&1; then
  mkdir -p /var/log
  # The API socket is root:berth 0660 (docker's docker group): members may use it without sudo.
  getent group berth >/dev/null || groupadd --system berth
  nohup berthd >/var/log/berthd.log 2>&1 &
  for _ in $(seq 1 100); do berth version >/dev/null 2>&1 && break; sleep 0.1; done
fi
echo "berthd is up on unix://$sock (log: /var/log/berthd.log)"

if ! berth image inspect busybox:latest >/dev/null 2>&1; then
  rootfs=$(mktemp -d)
  scripts/make-busybox-rootfs.sh "$rootfs"
  tar -C "$rootfs" -c . | berth import - busybox:latest
  rm -rf "$rootfs"
fi

berth run --rm busybox echo hello
berth run --rm busybox sh -c 'exit 3' || echo "exit code: $?"
berth rm -f demo-web >/dev/null 2>&1 || true
berth run -d --name demo-web busybox httpd -f -p 8080
berth ps
berth exec demo-web sh -c 'echo "hello from exec in $(hostname)"'
berth rm -f demo-web
DOCKER_HOST=unix://$sock docker run --rm busybox echo "hello through the docker CLI"

# The main demo: Django (gunicorn) + PostgreSQL + nginx, each image built from a debian:bookworm
# base made here with mmdebstrap (its rootfs cached under /var/cache/berth).
scripts/make-debian-base.sh
(cd examples/django-postgres-nginx && berth compose up -d --build --wait --wait-timeout 600)
berth compose -f examples/django-postgres-nginx/compose.yaml ps
echo
echo "The demo app is up: http://127.0.0.1:${HTTP_PORT:-8080}/  (stop it with: berth compose -f examples/django-postgres-nginx/compose.yaml down)"
