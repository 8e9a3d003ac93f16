#!/bin/bash
# Entrypoint of the pg_auto_failover image (see Dockerfile): creates this node on its first start,
# then runs its keeper, `pg_autoctl run`, which alone starts, stops, promotes and demotes
# PostgreSQL from then on.
#
#   hms-paf-entrypoint monitor    the pg_auto_failover monitor (formation state, failover decisions)
#   hms-paf-entrypoint postgres   a data node: the first one becomes the primary, later ones are
#                                 cloned from the primary (pg_basebackup) and become standbys
#
# Settings (environment):
#   PAF_HOME          the node's volume: PGDATA ($PAF_HOME/pgdata) and pg_autoctl's config and state
#                     (XDG_CONFIG_HOME, XDG_DATA_HOME). Default /var/lib/postgresql/paf
#   XDG_RUNTIME_DIR   pg_autoctl's pid files; emptied at every start. Default /run/pg_autoctl
#   PGPORT            default 5432
#   PAF_HOSTNAME      the name the other nodes and the API use to reach this one. Default: hostname
#   PAF_NAME          data node name in the formation. Default: PAF_HOSTNAME
#   PAF_LISTEN        PostgreSQL's listen_addresses. Default *
#   PAF_MONITOR_URI   data nodes: postgres://autoctl_node@monitor:5432/pg_auto_failover?sslmode=require
#   PAF_SSL           self-signed (default: TLS with a self-signed certificate, which encrypts but
#                     does not protect against a man in the middle) or off
#   PAF_NETWORK       the private network (pg_hba.conf address: a CIDR, or samenet). Default samenet
#   PAF_DBNAME        application database, default hms
#   PAF_APP_USER      application role (owner of PAF_DBNAME, password auth), default hms
#   HMS_DB_PASSWORD or HMS_DB_PASSWORD_FILE: its password (read by the first data node only)
#   PAF_SHARED_BUFFERS  default 256MB (pg_autoctl would give each instance 25 % of the host's RAM)
#
# `--auth trust` is used for the formation's own roles (pg_autoctl's monitor, replication and
# health-check users), and pg_hba.conf allows it only from PAF_NETWORK: keep that network private
# to the database nodes and the API. The application role always needs its password.
set -euo pipefail

role=${1:?usage: hms-paf-entrypoint monitor|postgres}
export PAF_HOME=${PAF_HOME:-/var/lib/postgresql/paf}
export PGDATA=$PAF_HOME/pgdata
export XDG_CONFIG_HOME=$PAF_HOME/config XDG_DATA_HOME=$PAF_HOME/data
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/run/pg_autoctl}
export PGPORT=${PGPORT:-5432}
export PATH=/usr/lib/postgresql/15/bin:$PATH

log() { echo "hms-paf-entrypoint: $*" >&2; }

# ---- As root: own the volume, clear what a previous run of this container left, drop to postgres.
if [ "$(id -u)" = 0 ]; then
  install -d -o postgres -g postgres -m 0700 "$PAF_HOME"
  chown postgres:postgres "$PAF_HOME"
  install -d -o postgres -g postgres -m 2775 /var/run/postgresql
  # pid files of a previous run: stale now that this container (re)starts, and a recycled pid
  # could make pg_autoctl believe it is already running.
  rm -rf "$XDG_RUNTIME_DIR"
  install -d -o postgres -g postgres -m 0700 "$XDG_RUNTIME_DIR"
  exec setpriv --reuid=postgres --regid=postgres --init-groups env HOME=/var/lib/postgresql "$0" "$@"
fi
[ "$(id -un)" = postgres ] || { log "run as root or as postgres, not $(id -un)"; exit 1; }
install -d -m 0700 "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"

PAF_HOSTNAME=${PAF_HOSTNAME:-$(hostname)}
PAF_NAME=${PAF_NAME:-$PAF_HOSTNAME}
PAF_LISTEN=${PAF_LISTEN:-*}
PAF_FORMATION=${PAF_FORMATION:-default}
PAF_NETWORK=${PAF_NETWORK:-samenet}
PAF_DBNAME=${PAF_DBNAME:-hms}
PAF_APP_USER=${PAF_APP_USER:-hms}
PAF_SHARED_BUFFERS=${PAF_SHARED_BUFFERS:-256MB}
case ${PAF_SSL:-self-signed} in
  self-signed) ssl_args=(--ssl-self-signed); hba_type=hostssl ;;
  off)         ssl_args=(--no-ssl);          hba_type=host ;;
  *) log "PAF_SSL must be self-signed or off"; exit 1 ;;
esac
# pg_autoctl keeps its configuration under XDG_CONFIG_HOME, keyed by the PGDATA path: once this
# file exists, the node is created and only needs its keeper.
config_file=$XDG_CONFIG_HOME/pg_autoctl$PGDATA/pg_autoctl.cfg

monitor_hba=("$hba_type pg_auto_failover autoctl_node $PAF_NETWORK trust")
node_hba=(
  "$hba_type replication pgautofailover_replicator $PAF_NETWORK trust"
  "$hba_type all pgautofailover_replicator,pgautofailover_monitor $PAF_NETWORK trust"
  "$hba_type $PAF_DBNAME $PAF_APP_USER $PAF_NETWORK scram-sha-256"
)

# A postmaster.pid whose process is gone (the container was killed): PostgreSQL would refuse to
# start if its pid now belongs to another process. Never removed while that postgres runs.
if [ -f "$PGDATA/postmaster.pid" ]; then
  pid=$(head -1 "$PGDATA/postmaster.pid")
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != postgres ]; then
    log "removing stale $PGDATA/postmaster.pid (pid $pid is not running)"
    rm -f "$PGDATA/postmaster.pid"
  fi
fi

# Our own initdb: pg_autoctl cannot pass initdb options, and data checksums must be on.
initdb_checksums() {
  initdb --pgdata "$PGDATA" --data-checksums --encoding=UTF8 --locale=C.UTF-8 \
    --username=postgres >/dev/null
}

# Replaces initdb's pg_hba.conf: Unix-socket connections are trusted (pg_autoctl connects locally
# as several roles; only PostgreSQL and pg_autoctl run in this container); over TCP, only the
# given lines (PAF_NETWORK). pg_autoctl appends its own lines, by hostname, below these.
write_hba() {
  printf '%s\n' "# TYPE DATABASE USER ADDRESS METHOD (hms-paf-entrypoint; pg_autoctl appends below)" \
    "local all all trust" "local replication all trust" > "$PGDATA/pg_hba.conf"
  ensure_hba "$@"
}

# Appends each line to pg_hba.conf unless it is there already.
ensure_hba() {
  local line
  for line in "$@"; do
    grep -qxF "$line" "$PGDATA/pg_hba.conf" || printf '%s\n' "$line" >> "$PGDATA/pg_hba.conf"
  done
}

create_monitor() {
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    initdb_checksums
    write_hba "${monitor_hba[@]}"
  fi
  pg_autoctl create monitor --pgdata "$PGDATA" --pgport "$PGPORT" --hostname "$PAF_HOSTNAME" \
    --listen "$PAF_LISTEN" --auth trust "${ssl_args[@]}"
  # Failover about 8-9 s after a host is lost (measured 7.5-9.2 s on loopback with these values,
  # ha-backup-recipes.md section 2.4); with the defaults [in brackets] it takes about 50 s.
  # Keep primary_demote_timeout above the keepers' timeout.network_partition_timeout (2 s).
  cat >> "$PGDATA/postgresql.conf" <<EOF

# hms: failover timing (monitor GUCs, reloadable)
shared_buffers = '128MB'
pgautofailover.health_check_period = 1000               # [5000] ms
pgautofailover.health_check_timeout = 1000              # [5000] ms
pgautofailover.health_check_max_retries = 1             # [2]
pgautofailover.health_check_retry_delay = 500           # [2000] ms
pgautofailover.node_considered_unhealthy_timeout = 3000 # [20000] ms
pgautofailover.primary_demote_timeout = 5000            # [30000] ms
EOF
}

# The password of the application role, from HMS_DB_PASSWORD_FILE or HMS_DB_PASSWORD.
app_password() {
  if [ -n "${HMS_DB_PASSWORD_FILE:-}" ]; then
    cat "$HMS_DB_PASSWORD_FILE"
  elif [ -n "${HMS_DB_PASSWORD:-}" ]; then
    printf '%s' "$HMS_DB_PASSWORD"
  else
    log "set HMS_DB_PASSWORD or HMS_DB_PASSWORD_FILE (password of role $PAF_APP_USER)"
    return 1
  fi
}

# The first data node of a formation: initdb with checksums, then the application role and
# database, created while PostgreSQL listens on no TCP address. This PGDATA is not managed by a
# keeper yet; once `pg_autoctl create` has run, only the keeper starts PostgreSQL.
bootstrap_first_node() {
  local password
  password=$(app_password)
  initdb_checksums
  write_hba "${node_hba[@]}"
  cat >> "$PGDATA/postgresql.conf" <<EOF

# hms (standbys inherit these lines through pg_basebackup; they override
# postgresql-auto-failover.conf, which pg_autoctl includes on the first line)
shared_buffers = '$PAF_SHARED_BUFFERS'
wal_retrieve_retry_interval = '1s'   # a standby reconnects faster after its primary restarts
EOF
  pg_ctl --pgdata "$PGDATA" --wait --silent start -o "-c listen_addresses='' -p $PGPORT" >/dev/null
  psql -X -q -v ON_ERROR_STOP=1 -d postgres -v user="$PAF_APP_USER" -v db="$PAF_DBNAME" \
    -v password="$password" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
GRANT pg_monitor TO :"user";   -- replication and checksum figures for /metrics
CREATE DATABASE :"db" OWNER :"user";
SQL
  pg_ctl --pgdata "$PGDATA" --wait --silent stop -m fast
}

create_postgres() {
  : "${PAF_MONITOR_URI:?set PAF_MONITOR_URI}"
  local state="" nodes
  for _ in $(seq 1 120); do
    state=$(pg_autoctl show state --monitor "$PAF_MONITOR_URI" --formation "$PAF_FORMATION" \
      --json 2>/dev/null) && break
    state=""
    sleep 1
  done
  [ -n "$state" ] || { log "the monitor does not answer at $PAF_MONITOR_URI"; exit 1; }
  nodes=$(grep -c '"node_id"' <<<"$state" || true)
  if [ "$nodes" = 0 ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    log "no node in formation $PAF_FORMATION yet: this node starts as the primary"
    bootstrap_first_node
  elif [ "$nodes" != 0 ] && [ -e "$PGDATA" ] && [ -n "$(ls -A "$PGDATA")" ]; then
    # A standby must start from an empty PGDATA: pg_autoctl clones the primary into it.
    log "formation $PAF_FORMATION has $nodes node(s) but $PGDATA is not empty: refusing"
    log "(a data folder from an earlier formation? move it away, or drop that node first)"
    exit 1
  else
    log "formation $PAF_FORMATION has $nodes node(s): this node joins as a standby (pg_basebackup)"
  fi
  pg_autoctl create postgres --pgdata "$PGDATA" --pgport "$PGPORT" --hostname "$PAF_HOSTNAME" \
    --listen "$PAF_LISTEN" --name "$PAF_NAME" --formation "$PAF_FORMATION" --dbname "$PAF_DBNAME" \
    --monitor "$PAF_MONITOR_URI" --auth trust "${ssl_args[@]}"
  # An isolated primary demotes itself after this many seconds [20]; keep it below the monitor's
  # primary_demote_timeout (5 s), so the old primary is read-only before the standby takes writes.
  pg_autoctl config set --pgdata "$PGDATA" timeout.network_partition_timeout 2 >/dev/null
}

case $role in
  monitor)
    [ -f "$config_file" ] || create_monitor
    ;;
  postgres)
    [ -f "$config_file" ] || create_postgres
    # A standby's pg_hba.conf is the primary's (pg_basebackup); make sure in any case.
    ensure_hba "${node_hba[@]}"
    ;;
  *)
    log "unknown role $role (monitor or postgres)"
    exit 1
    ;;
esac

log "starting the keeper: pg_autoctl run"
exec pg_autoctl run --pgdata "$PGDATA"
