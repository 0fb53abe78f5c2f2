#!/usr/bin/env bash
# Ronde's own PostgreSQL cluster (used when DATABASE_URL is unset).
#
#   scripts/pg.sh start  DIR PORT   initdb if needed, start, create role+database "ronde"
#   scripts/pg.sh stop   DIR        stop (no error when not running)
#   scripts/pg.sh status DIR
#   scripts/pg.sh destroy DIR       stop and delete (throwaway clusters)
#
# Loopback only, trust auth for 127.0.0.1: this is a developer/test cluster, never a
# production server (production sets DATABASE_URL). initdb and postgres refuse to run
# as root, so when we are root everything runs as the "postgres" OS user.
set -euo pipefail

PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
cmd="${1:?usage: pg.sh start|stop|status|destroy DIR [PORT]}"
dir="$(mkdir -p "${2:?data directory}" && cd "$2" && pwd)"
port="${3:-54329}"
base="$dir"
# As root, the cluster runs as "postgres", which may not be able to reach a checkout made in a
# private folder (mktemp -d, /root/...). The cluster then lives in a folder of its own under
# /var/tmp, named after the checkout's path, and $dir/data links to it for root's tools.
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
  base="${RONDE_PG_RELOCATE_DIR:-/var/tmp}/ronde-pg-$(printf %s "$dir" | sha1sum | cut -c1-16)"
fi
data="$base/data"
run="$base/run"
log="$base/postgres.log"

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  [ -x "$PGBIN/initdb" ] || { echo "pg.sh: PostgreSQL binaries not found (install postgresql-15)"; exit 1; }
  if [ "$(id -u)" = 0 ]; then
    if [ "$base" != "$dir" ]; then
      mkdir -p "$base"
      [ -e "$dir/data" ] || ln -s "$data" "$dir/data"
    fi
    chown postgres: "$base"
    if ! runuser -u postgres -- test -w "$base"; then
      echo "pg.sh: the postgres user cannot write $base."
      echo "       Make the checkout readable (chmod o+x on its parents) or set DATABASE_URL."
      exit 1
    fi
  fi
  mkdir -p "$run"; [ "$(id -u)" = 0 ] && chown postgres: "$run"
  if [ ! -f "$data/PG_VERSION" ]; then
    echo "pg.sh: creating a PostgreSQL cluster in $data"
    as_owner "$PGBIN/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=trust \
      --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$run'
fsync = ${PG_FSYNC:-on}
max_connections = 200
shared_buffers = 512MB
work_mem = 32MB
maintenance_work_mem = 256MB
CONF
  fi
  if as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    :
  else
    as_owner "$PGBIN/pg_ctl" -D "$data" -l "$log" -o "-p $port" -w -t 60 start >/dev/null \
      || { echo "pg.sh: PostgreSQL failed to start, see $log"; tail -20 "$log"; exit 1; }
  fi
  psql=("$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -qAt)
  if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='ronde'")" != 1 ]; then
    "${psql[@]}" -c "create role ronde login superuser"
  fi
  if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='ronde'")" != 1 ]; then
    "${psql[@]}" -c "create database ronde owner ronde"
  fi
  ;;
stop)
  if [ -f "$data/PG_VERSION" ] && as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_owner "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  fi
  ;;
status)
  as_owner "$PGBIN/pg_ctl" -D "$data" status
  ;;
destroy)
  # Stop and delete a throwaway cluster (make test), wherever it lives.
  if [ -f "$data/PG_VERSION" ] && as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_owner "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  fi
  rm -rf "$dir"
  [ "$base" = "$dir" ] || rm -rf "$base"
  ;;
*) echo "usage: pg.sh start|stop|status|destroy DIR [PORT]"; exit 2 ;;
esac
