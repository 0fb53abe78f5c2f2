#!/usr/bin/env bash
# A streaming read replica (hot standby) of one of Ronde's own clusters (scripts/pg.sh).
#
#   scripts/replica.sh start   DIR PORT PRIMARY_PORT   pg_basebackup -R if DIR is new, then start
#   scripts/replica.sh stop    DIR                     stop (no error when not running)
#   scripts/replica.sh destroy DIR                     stop and delete
#   scripts/replica.sh status  DIR
#
# The standby follows the primary through PostgreSQL's own streaming replication (the primary
# made by pg.sh keeps initdb's loopback `replication` trust lines in pg_hba.conf). Loopback
# only, like pg.sh: a developer/test setup; production replicas are the hosting's business and
# only their URLs reach Ronde (DATABASE_REPLICA_URL).
set -euo pipefail

PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
cmd="${1:?usage: replica.sh start|stop|status|destroy DIR [PORT PRIMARY_PORT]}"
dir="$(mkdir -p "${2:?data directory}" && cd "$2" && pwd)"
base="$dir"
# As in pg.sh: as root the cluster runs as "postgres", from a folder that user can reach.
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
  base="${RONDE_PG_RELOCATE_DIR:-/var/tmp}/ronde-pg-$(printf %s "$dir" | sha1sum | cut -c1-16)"
fi
data="$base/data"
run="$base/run"
log="$base/postgres.log"

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { [ -f "$data/PG_VERSION" ] && as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case "$cmd" in
start)
  port="${3:?replica port}"
  primary="${4:?primary port}"
  mkdir -p "$base"
  [ "$base" = "$dir" ] || [ -e "$dir/data" ] || ln -s "$data" "$dir/data"
  [ "$(id -u)" = 0 ] && chown postgres: "$base"
  mkdir -p "$run"; [ "$(id -u)" = 0 ] && chown postgres: "$run"
  if [ ! -f "$data/PG_VERSION" ]; then
    echo "replica.sh: copying the primary on port $primary into $data"
    # -R writes standby.signal and primary_conninfo; -X stream copies the WAL made meanwhile.
    as_owner "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$primary" -U postgres -D "$data" -R -X stream \
      --checkpoint=fast
    cat >>"$data/postgresql.conf" <<CONF
# replica.sh: a hot standby answering reads
hot_standby = on
hot_standby_feedback = on
unix_socket_directories = '$run'
CONF
  fi
  if ! running; then
    as_owner "$PGBIN/pg_ctl" -D "$data" -l "$log" -o "-p $port" -w -t 60 start >/dev/null \
      || { echo "replica.sh: the replica failed to start, see $log"; tail -20 "$log"; exit 1; }
  fi
  ;;
stop)
  if running; then as_owner "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi
  ;;
status)
  as_owner "$PGBIN/pg_ctl" -D "$data" status
  ;;
destroy)
  if running; then as_owner "$PGBIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null; fi
  rm -rf "$dir"
  [ "$base" = "$dir" ] || rm -rf "$base"
  ;;
*) echo "usage: replica.sh start|stop|status|destroy DIR [PORT PRIMARY_PORT]"; exit 2 ;;
esac
