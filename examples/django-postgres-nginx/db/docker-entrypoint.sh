#!/bin/sh
# PostgreSQL entrypoint in the style of the official image, for Debian's postgresql-15.
#  - as root: own $PGDATA and the socket directory, then re-run this script as postgres;
#  - first start (no $PGDATA/PG_VERSION): initdb with POSTGRES_USER / POSTGRES_PASSWORD, create
#    POSTGRES_DB, run /docker-entrypoint-initdb.d/*.sql and *.sh against a server that listens on
#    the unix socket only (so a healthcheck over TCP stays red until the real server is up);
#  - then exec postgres in the foreground as PID 1, listening on all addresses, with password
#    (scram-sha-256) authentication over TCP. postgres itself handles SIGTERM (smart shutdown)
#    and SIGINT (fast shutdown, the image's STOPSIGNAL).
set -eu

# `postgres ARGS`, or bare options (`-c work_mem=8MB`), run the server; anything else runs as given.
case "${1:-}" in
  postgres) ;;
  '' | -*) set -- postgres "$@" ;;
  *) exec "$@" ;;
esac

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /run/postgresql
  # A volume made by another image, or a bind mount, may be owned by someone else.
  [ "$(stat -c %U "$PGDATA")" = postgres ] || chown -R postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  chown postgres:postgres /run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set (e.g. in app.env) to initialise the database}"
  POSTGRES_USER=${POSTGRES_USER:-postgres}
  POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
  echo "entrypoint: initialising a cluster in $PGDATA for user $POSTGRES_USER, database $POSTGRES_DB"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --encoding=UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  cat >> "$PGDATA/postgresql.conf" <<CONF
listen_addresses = '*'
unix_socket_directories = '/run/postgresql'
log_timezone = 'UTC'
timezone = 'UTC'
CONF

  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w -t 60 start >/dev/null
  psql() { command psql -v ON_ERROR_STOP=1 -X -q -h /run/postgresql -U "$POSTGRES_USER" "$@"; }
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -d postgres --set db="$POSTGRES_DB" --set owner="$POSTGRES_USER" <<'SQL'
CREATE DATABASE :"db" OWNER :"owner";
SQL
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sql) echo "entrypoint: running $f"; psql -d "$POSTGRES_DB" -f "$f" ;;
      *.sh) echo "entrypoint: running $f"; . "$f" ;;
      *) [ -e "$f" ] && echo "entrypoint: ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "entrypoint: initialised; starting postgres"
fi

exec "$@"
