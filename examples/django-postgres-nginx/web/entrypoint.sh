#!/bin/sh
# Runs as the unprivileged app user. Before the server starts: wait (bounded) for PostgreSQL,
# apply migrations, and collect static files into the volume nginx serves. Other commands
# (`manage.py shell`, `sh`) run as given.
set -eu
if [ "${1:-}" = gunicorn ]; then
  tries=${DB_WAIT_TRIES:-30}
  i=1
  until python3 manage.py migrate --noinput; do
    [ "$i" -ge "$tries" ] && { echo "entrypoint: database not ready after $tries tries" >&2; exit 1; }
    echo "entrypoint: database not ready (try $i/$tries), retrying in 2 s" >&2
    i=$((i + 1))
    sleep 2
  done
  python3 manage.py collectstatic --noinput --clear -v 0
fi
exec "$@"
