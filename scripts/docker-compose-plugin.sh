#!/bin/sh
# `docker compose` for a docker CLI without the Compose v2 plugin: a CLI plugin that hands the
# command to `berth compose`. Install it as the plugin (a symlink keeps it pointing here):
#   mkdir -p ~/.docker/cli-plugins && ln -s "$PWD/scripts/docker-compose-plugin.sh" ~/.docker/cli-plugins/docker-compose
# Tools that run `docker compose ...` (testcontainers' DockerComposeEnvironment, scripts) then work
# unchanged. The docker CLI asks a plugin for its metadata first, then runs it as
# `docker-compose compose ARGS...`; DOCKER_HOST reaches `berth` through the environment.
set -e
here=$(dirname "$(readlink -f "$0")")
if [ "$1" = docker-cli-plugin-metadata ]; then
  printf '{"SchemaVersion":"0.1.0","Vendor":"Berth","Version":"%s","ShortDescription":"Docker Compose (berth compose)"}\n' \
    "$("$here/../bin/berth" --version | sed -n 's/^Berth version \([^,]*\).*/\1/p')"
  exit 0
fi
[ "$1" = compose ] && shift
exec "$here/../bin/berth" compose "$@"
