#!/bin/bash
# Runs a selection of dockerode's and testcontainers-node's OWN integration tests against one
# engine (berthd or dockerd) and prints pass/fail counts, so the two engines can be compared on the
# same machine. Their code is not part of Berth: check the suites out beside it (docs/client-suites.md
# says how) and point this script at them.
#
# Usage: scripts/client-suites.sh SUITES_DIR SOCKET [dockerode|testcontainers|all] [OUT_DIR]
#   SUITES_DIR  holds dockerode/ (4.0.12, npm install done) and testcontainers-node/
#               (v11.14.0, `npm ci --workspace packages/testcontainers --include-workspace-root` done)
#   SOCKET      the engine's unix socket, e.g. /var/run/docker.sock or /tmp/x/berthd.sock
#   OUT_DIR     where the JSON reports go (default /tmp/client-suites-<engine>)
#
# The suites name Docker Hub images; offline, local stand-ins take those names on the engine for the
# run (ubuntu:latest: busybox with a bash shim; cristianrgreco/testcontainer:1.1.14: node and a
# server with the same endpoints). The script refuses to retag a name the engine already has from
# elsewhere, and removes the stand-ins and every container made from them at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
suites=$(cd "${1:?usage: client-suites.sh SUITES_DIR SOCKET [dockerode|testcontainers|all] [OUT_DIR]}" && pwd)
sock=${2:?usage: client-suites.sh SUITES_DIR SOCKET [dockerode|testcontainers|all] [OUT_DIR]}
which=${3:-all}
engine=$(docker -H "unix://$sock" version --format '{{.Server.Version}}' 2>/dev/null | tr -c 'A-Za-z0-9.\n-' _)
out=${4:-/tmp/client-suites-$engine}
mkdir -p "$out"
export DOCKER_HOST=unix://$sock
d() { docker -H "unix://$sock" "$@"; }

# --- stand-in images -------------------------------------------------------------------------
work=$(mktemp -d /tmp/client-suites-ctx.XXXXXX)
images=(ubuntu:latest cristianrgreco/testcontainer:1.1.14)
ours_label=berth.client-suites
cleanup() {
  set +e
  # Every image the stand-ins or the suites' builds made carries the stand-ins' label; remove the
  # containers made from them, then the images (children before parents: a few passes).
  for img in "${images[@]}"; do
    if [ "$(d image inspect -f "{{index .Config.Labels \"$ours_label\"}}" "$img" 2>/dev/null)" = 1 ]; then
      ids=$(d ps -aq --filter "ancestor=$img")
      [ -n "$ids" ] && d rm -f $ids >/dev/null
    fi
  done
  for _ in 1 2 3 4; do
    ids=$(d images -q --filter "label=$ours_label=1" | sort -u)
    [ -z "$ids" ] && break
    d rmi -f $ids >/dev/null 2>&1
  done
  # the suites' images that do not descend from a stand-in: a FROM scratch build, the loaded
  # hello-world and the untagged import, when they were not there before the run
  for id in $(d images -q --no-trunc); do
    grep -qx "$id" "$work/images-before" && continue
    tags=$(d image inspect -f '{{join .RepoTags " "}} {{.Comment}}' "$id" 2>/dev/null)
    case " $tags " in
      *" honor-dockerignore:latest "* | *" hello-world:latest "* | "  Imported from - ") d rmi -f "$id" >/dev/null 2>&1 ;;
    esac
  done
  # dockerode's networks test names its network; remove it only if it is the suite's (no containers left)
  d network rm isolated_nw >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

for img in "${images[@]}"; do
  if d image inspect "$img" >/dev/null 2>&1 && [ "$(d image inspect -f "{{index .Config.Labels \"$ours_label\"}}" "$img")" != 1 ]; then
    echo "the engine already has $img from elsewhere; not replacing it" >&2
    exit 2
  fi
done

d images -q --no-trunc > "$work/images-before"
sh "$here/make-busybox-rootfs.sh" "$work/ubuntu/rootfs" >/dev/null
# ubuntu's tests run `bash -c ...`: busybox's sh understands what they send.
printf '#!/bin/sh\nexec /bin/sh "$@"\n' > "$work/ubuntu/rootfs/bin/bash"
chmod 755 "$work/ubuntu/rootfs/bin/bash"
cat > "$work/ubuntu/Dockerfile" <<EOF
FROM scratch
COPY rootfs/ /
LABEL $ours_label=1
CMD ["bash"]
EOF
d build -q -t ubuntu:latest "$work/ubuntu" >/dev/null 2>&1

tc=$work/testcontainer
sh "$here/make-busybox-rootfs.sh" "$tc/rootfs" >/dev/null
nodebin=$(readlink -f "$(command -v node)")
mkdir -p "$tc/rootfs/usr/local/bin" "$tc/rootfs/usr/bin" "$tc/rootfs/etc/ssl/private" "$tc/rootfs/etc/ssl/certs"
cp "$nodebin" "$tc/rootfs/usr/local/bin/node"
for lib in $(ldd "$nodebin" | grep -o '/[^ ]*'); do
  mkdir -p "$tc/rootfs$(dirname "$lib")"
  cp -L "$lib" "$tc/rootfs$lib"
done
for applet in wget nc; do ln -sf ../../bin/busybox "$tc/rootfs/usr/bin/$applet"; done
cp "$here/client-suites/getent" "$here/client-suites/getpcaps" "$tc/rootfs/usr/bin/"
mkdir -p "$tc/rootfs/var/log" "$tc/rootfs/home/node"
echo 'node:x:1000:1000:Linux User,,,:/home/node:/bin/sh' >> "$tc/rootfs/etc/passwd"
echo 'node:x:1000:node' >> "$tc/rootfs/etc/group"
# dumb-init and curl, as far as the tests use them
printf '#!/bin/sh\n[ "$1" = -- ] && shift\nexec "$@"\n' > "$tc/rootfs/usr/bin/dumb-init"
printf '#!/bin/sh\n# curl [-f] [-s] URL, as the tests call it\nfor a; do case "$a" in -*) ;; *) url=$a;; esac; done\nexec wget -q -O - "$url"\n' > "$tc/rootfs/usr/bin/curl"
chmod 755 "$tc/rootfs/usr/bin/dumb-init" "$tc/rootfs/usr/bin/curl"
openssl req -x509 -nodes -days 36500 -subj "/C=CA/ST=QC/O=Company Inc/CN=localhost" -newkey rsa:2048 \
  -keyout "$tc/rootfs/etc/ssl/private/cert.key" -out "$tc/rootfs/etc/ssl/certs/cert.crt" 2>/dev/null
chmod 666 "$tc/rootfs/etc/ssl/private/cert.key"
cp "$here/client-suites/testcontainer-server.js" "$tc/rootfs/index.js"
cat > "$tc/Dockerfile" <<EOF
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
EXPOSE 8080
LABEL $ours_label=1
ENTRYPOINT ["/usr/bin/dumb-init", "--"]
CMD ["node", "index.js"]
EOF
d build -q -t cristianrgreco/testcontainer:1.1.14 "$tc" >/dev/null 2>&1

# --- the suites ------------------------------------------------------------------------------
summary() { # name json-file
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
    const tests = r.testResults ? r.testResults.flatMap((f) => f.assertionResults.map((t) => ({ title: t.fullName, state: t.status })))
                                : [...r.passes.map((t) => ({ title: t.fullTitle, state: "passed" })), ...r.failures.map((t) => ({ title: t.fullTitle, state: "failed" }))];
    const pass = tests.filter((t) => t.state === "passed").length, fail = tests.filter((t) => t.state === "failed").length;
    console.log(`${process.argv[1]}: ${pass} passed, ${fail} failed (of ${pass + fail} run)`);
    for (const t of tests.filter((t) => t.state === "failed")) console.log(`  FAIL ${t.title}`);
  ' "$1" "$2"
}

if [ "$which" = all ] || [ "$which" = dockerode ]; then
  # Left out: swarm.js (needs a swarm manager), plugin.js (installs a plugin from Docker Hub),
  # buildkit_test.js and util.js (no daemon: mocks and pure functions), and the tests that pull,
  # search or log in to Docker Hub.
  hub='#pull|#createImage|#searchImages|#checkAuth|should work without options|should use specific cert'
  (
    cd "$suites/dockerode"
    # spec_helper.js takes DOCKER_HOST when DOCKER_SOCKET is set to anything (it then tries a pipe path
    # that does not exist here and falls back to docker-modem's defaults, which read DOCKER_HOST).
    DOCKER_SOCKET=x timeout 900 ./node_modules/.bin/mocha -R json --reporter-option "output=$out/dockerode.json" --exit -t 60000 \
      --grep "$hub" --invert test/docker.js test/container.js test/image.js test/networks.js test/promises.js >"$out/dockerode.log" 2>&1 || true
  )
  summary "dockerode ($engine)" "$out/dockerode.json"
fi

if [ "$which" = all ] || [ "$which" = testcontainers ]; then
  # The files whose tests need only the daemon and the testcontainer image. Left out: Docker Compose
  # (needs the compose v2 plugin), the Dockerfile builds (FROM node:10-alpine with apk), port
  # forwarder and socat (images from Docker Hub), reaper (Ryuk from Docker Hub), the unit tests
  # with mocks, and the quota test (cgroup v2 CPU/memory quotas).
  files=(
    generic-container/generic-container.test.ts generic-container/generic-container-lifecycle.test.ts
    generic-container/generic-container-logs.test.ts generic-container/generic-container-network.test.ts
    generic-container/generic-container-restart.test.ts generic-container/generic-container-commit.test.ts
    generic-container/generic-container-reuse.test.ts generic-container/abstract-started-container.test.ts
    network/network.test.ts container-runtime/utils/run-in-container.test.ts
    wait-strategies/composite-wait-strategy.test.ts wait-strategies/health-check-wait-strategy.test.ts
    wait-strategies/host-port-wait-strategy.test.ts wait-strategies/http-wait-strategy.test.ts
    wait-strategies/log-wait-strategy.test.ts wait-strategies/one-shot-startup-startegy.test.ts
    wait-strategies/shell-wait-strategy.test.ts wait-strategies/startup-check-strategy.test.ts
  )
  (
    cd "$suites/testcontainers-node"
    TESTCONTAINERS_RYUK_DISABLED=true timeout 1500 npx vitest run --reporter=json --outputFile="$out/testcontainers.json" \
      --sequence.concurrent=false --maxWorkers=2 "${files[@]/#/packages/testcontainers/src/}" >"$out/testcontainers.log" 2>&1 || true
  )
  summary "testcontainers ($engine)" "$out/testcontainers.json"
fi
