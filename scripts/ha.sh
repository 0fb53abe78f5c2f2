#!/usr/bin/env bash
# A pg_auto_failover formation on loopback: a monitor and two data nodes (primary + standby).
#
#   scripts/ha.sh start   DIR PORT   monitor on PORT, nodes on PORT+1 and PORT+2; prints the URL
#   scripts/ha.sh url     DIR PORT   the multi-host DATABASE_URL Ronde connects with
#   scripts/ha.sh state   DIR        the formation as the monitor sees it
#   scripts/ha.sh kill    DIR NODE   the loss of a machine: node1|node2 and its keeper, SIGKILL
#   scripts/ha.sh stop    DIR        stop every service of the formation
#   scripts/ha.sh destroy DIR        stop and delete
#
# Ronde connects with libpq's multi-host URL and target_session_attrs=read-write: after a
# failover, new connections reach whichever node is primary. Trust authentication on
# loopback and no TLS: a developer/test formation (docs/scaling.md says what production needs).
#
# Failover timing: the monitor's health checks every second and a node is unhealthy after 3 s;
# the standby is promoted once the old primary had 5 s to demote itself
# (pgautofailover.primary_demote_timeout), and each keeper demotes its node after 4 s without
# the monitor or its peer (timeout.network_partition_timeout), so the two never overlap.
# The defaults (30 s and 20 s) trade a slower failover for more tolerance of slow networks.
set -euo pipefail

PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
cmd="${1:?usage: ha.sh start|url|state|kill|stop|destroy DIR [PORT|NODE]}"
dir="$(mkdir -p "${2:?formation directory}" && cd "$2" && pwd)"
base="$dir"
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
  base="${RONDE_PG_RELOCATE_DIR:-/var/tmp}/ronde-ha-$(printf %s "$dir" | sha1sum | cut -c1-16)"
fi

as_owner() {
  # pg_autoctl keeps its state and config under XDG folders: the formation's own.
  local env=(env "XDG_CONFIG_HOME=$base/config" "XDG_DATA_HOME=$base/state" "PATH=$PGBIN:$PATH")
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "${env[@]}" "$@"; else "${env[@]}" "$@"; fi
}

OWN_SID=$(ps -o sid= -p $$ | tr -d ' ')

psql_at() { "$PGBIN/psql" -h 127.0.0.1 -p "$1" -U postgres -d "${2:-postgres}" -qAt -c "$3"; }

# Start `pg_autoctl run` for a node in the background, detached, logging to its file.
run_node() {
  local name=$1
  as_owner setsid pg_autoctl run --pgdata "$base/$name" >>"$base/$name.log" 2>&1 </dev/null &
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2; shift 2
  for _ in $(seq 1 $((seconds * 4))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  echo "ha.sh: timed out waiting for $what (logs in $base)"; exit 1
}

assigned() {  # assigned PORT STATE...: the monitor assigned the node on PORT one of STATEs
  local port=$1; shift
  local state
  state=$(psql_at "$MONITOR_PORT" pg_auto_failover \
    "SELECT goalstate FROM pgautofailover.node WHERE nodeport = $port") || return 1
  for s in "$@"; do [ "$state" = "$s" ] && return 0; done
  return 1
}

case "$cmd" in
start)
  port="${3:?monitor port}"
  MONITOR_PORT=$port
  mkdir -p "$base"
  [ "$base" = "$dir" ] || [ -e "$dir/formation" ] || ln -s "$base" "$dir/formation"
  [ "$(id -u)" = 0 ] && chown postgres: "$base"
  monitor_uri="postgres://autoctl_node@127.0.0.1:$port/pg_auto_failover?sslmode=disable"
  common=(--pgctl "$PGBIN/pg_ctl" --hostname 127.0.0.1 --auth trust --no-ssl)
  if [ ! -f "$base/monitor/PG_VERSION" ]; then
    as_owner pg_autoctl create monitor "${common[@]}" --pgdata "$base/monitor" --pgport "$port" \
      >>"$base/monitor.log" 2>&1
  fi
  pgrep -f "pg_autoctl run --pgdata $base/monitor" >/dev/null || run_node monitor
  wait_for 60 "the monitor" psql_at "$port" pg_auto_failover "SELECT 1 FROM pgautofailover.formation"
  # ALTER SYSTEM refuses a transaction block: statements one by one from standard input.
  "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d pg_auto_failover -qAt >/dev/null <<'SQL'
ALTER SYSTEM SET pgautofailover.health_check_period = 1000;
ALTER SYSTEM SET pgautofailover.health_check_timeout = 1000;
ALTER SYSTEM SET pgautofailover.health_check_max_retries = 1;
ALTER SYSTEM SET pgautofailover.health_check_retry_delay = 500;
ALTER SYSTEM SET pgautofailover.node_considered_unhealthy_timeout = 3000;
ALTER SYSTEM SET pgautofailover.primary_demote_timeout = 5000;
SELECT pg_reload_conf();
SQL
  for n in 1 2; do
    name="node$n"
    node_port=$((port + n))
    if [ ! -f "$base/$name/PG_VERSION" ] && ! pgrep -f "pgdata $base/$name " >/dev/null; then
      as_owner setsid pg_autoctl create postgres "${common[@]}" --pgdata "$base/$name" \
        --pgport "$node_port" --name "$name" --dbname ronde --monitor "$monitor_uri" --run \
        >>"$base/$name.log" 2>&1 </dev/null &
    elif ! pgrep -f "pgdata $base/$name" >/dev/null; then
      run_node "$name"
    fi
    if [ "$n" = 1 ]; then
      wait_for 120 "node1 to be primary" assigned "$node_port" single wait_primary primary
      wait_for 30 "node1 to accept connections" psql_at "$node_port" ronde "SELECT 1"
      if [ "$(psql_at "$node_port" ronde "SELECT 1 FROM pg_roles WHERE rolname = 'ronde'")" != 1 ]; then
        psql_at "$node_port" ronde "CREATE ROLE ronde LOGIN SUPERUSER; ALTER DATABASE ronde OWNER TO ronde"
      fi
    fi
  done
  # The standby's pg_basebackup waits for a checkpoint on the primary (a spread one can take
  # minutes): ask for it until the standby has caught up.
  for _ in $(seq 1 240); do
    primary_port=$(psql_at "$port" pg_auto_failover \
      "SELECT nodeport FROM pgautofailover.node WHERE reportedstate IN ('primary','wait_primary','single') LIMIT 1")
    if [ "$(psql_at "$port" pg_auto_failover \
      "SELECT count(*) FROM pgautofailover.node WHERE reportedstate IN ('primary','secondary')")" = 2 ]; then
      break
    fi
    [ -n "$primary_port" ] && psql_at "$primary_port" postgres "CHECKPOINT" >/dev/null 2>&1 || true
    sleep 0.5
  done
  for n in 1 2; do
    as_owner pg_autoctl config set --pgdata "$base/node$n" timeout.network_partition_timeout 4 >/dev/null
  done
  "$0" url "$dir" "$port"
  ;;
url)
  port="${3:?monitor port}"
  echo "postgis://ronde@127.0.0.1:$((port + 1)),127.0.0.1:$((port + 2))/ronde?target_session_attrs=read-write&connect_timeout=2"
  ;;
state)
  as_owner pg_autoctl show state --pgdata "$base/monitor"
  ;;
kill)
  node="${3:?node1 or node2}"
  # The machine is gone: its keeper and every process it forked (they rename themselves, so
  # only their session finds them; one left alive restarts PostgreSQL as a second primary),
  # and PostgreSQL itself.
  for pid in $(pgrep -f "^pg_autoctl .*--pgdata $base/$node( |$)"); do
    sid=$(ps -o sid= -p "$pid" | tr -d ' ')
    # Each keeper runs in a session of its own (setsid in run_node/start): never ours.
    [ -n "$sid" ] && [ "$sid" != "$OWN_SID" ] && pkill -9 -s "$sid" || true
  done
  if [ -f "$base/$node/postmaster.pid" ]; then kill -9 "$(head -1 "$base/$node/postmaster.pid")" 2>/dev/null || true; fi
  pkill -9 -f "postgres -D $base/$node( |$)" || true
  ;;
stop | destroy)
  for name in node2 node1 monitor; do
    if [ -d "$base/$name" ]; then
      as_owner pg_autoctl stop --pgdata "$base/$name" --fast >/dev/null 2>&1 || true
    fi
  done
  sleep 1
  for name in node2 node1 monitor; do
    for pid in $(pgrep -f "^pg_autoctl .*--pgdata $base/$name( |$)"); do
      sid=$(ps -o sid= -p "$pid" | tr -d ' ')
      [ -n "$sid" ] && [ "$sid" != "$OWN_SID" ] && pkill -9 -s "$sid" 2>/dev/null || true
    done
    if [ -f "$base/$name/postmaster.pid" ]; then
      kill -9 "$(head -1 "$base/$name/postmaster.pid")" 2>/dev/null || true
    fi
  done
  if [ "$cmd" = destroy ]; then
    rm -rf "$dir"
    [ "$base" = "$dir" ] || rm -rf "$base"
  fi
  ;;
*) echo "usage: ha.sh start|url|state|kill|stop|destroy DIR [PORT|NODE]"; exit 2 ;;
esac
