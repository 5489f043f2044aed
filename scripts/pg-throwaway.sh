#!/usr/bin/env bash
# Start/stop a throwaway PostgreSQL cluster for tests.
#
# Usage:
#   scripts/pg-throwaway.sh start DIR   # prints the SQLAlchemy URL on stdout
#   scripts/pg-throwaway.sh stop DIR    # stops the server and removes DIR
#
# `start` initialises a cluster in DIR/data (creating DIR if needed), listening
# only on 127.0.0.1 on a free port, with its unix socket in DIR/sock and
# durability switched off (fsync, synchronous_commit, full_page_writes).
# Auth is `trust` for local sockets and 127.0.0.1. It creates the login role
# `smartcustoms` and the database `smartcustoms_test` owned by it, then prints
#   postgresql+psycopg://smartcustoms@127.0.0.1:PORT/smartcustoms_test
# on stdout and writes it to DIR/url. Running `start` again on a running
# cluster just prints the URL; on a stopped one it restarts it.
#
# initdb refuses to run as root: as root, DIR is chowned to the `postgres`
# system user (created if missing) and the server runs as that user, so DIR's
# parents must be traversable by it. Suggested:
#   DIR="$(mktemp -d /tmp/pg-test.XXXXXX)"; chmod 755 "$DIR"
#
# Diagnostics go to stderr; the server log is DIR/postgres.log.
set -euo pipefail

DB_USER=smartcustoms
DB_NAME=smartcustoms_test
SU=postgres                 # bootstrap superuser name inside the cluster
MARKER=.pg-throwaway        # marks DIR as ours, so `stop` may delete it

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

log() { printf 'pg-throwaway: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() {
    printf 'usage: %s start DIR | stop DIR\n' "${0##*/}" >&2
    exit 2
}

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Run a command as the cluster owner (postgres when we are root), from / so
# that an unreadable working directory does not produce warnings.
as_owner() {
    if is_root; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

ensure_postgres_user() {
    if ! getent passwd postgres >/dev/null; then
        log "creating system user postgres"
        useradd --system --user-group --no-create-home \
            --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres \
            || die "could not create system user postgres"
    fi
    command -v runuser >/dev/null 2>&1 || die "runuser not found (package util-linux)"
}

free_port() {
    python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

url_for() {
    printf 'postgresql+psycopg://%s@127.0.0.1:%s/%s\n' "$DB_USER" "$1" "$DB_NAME"
}

# Absolute path of DIR without requiring it to exist.
abs_path() {
    case "$1" in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s/%s\n' "$(pwd -P)" "$1" ;;
    esac
}

# True when the postmaster recorded in DATA/postmaster.pid is alive. Unlike
# `pg_ctl status` this treats a zombie or a recycled pid as dead.
server_running() {
    local pid state comm
    [[ -f "$DATA/postmaster.pid" ]] || return 1
    pid="$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    if [[ -r "/proc/$pid/stat" ]]; then
        comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
        state="$(sed -n 's/^.*) \([A-Za-z]\) .*$/\1/p' "/proc/$pid/stat" 2>/dev/null || true)"
        [[ "$comm" == postgres* && "$state" != Z && "$state" != X ]]
    else
        kill -0 "$pid" 2>/dev/null
    fi
}

configured_port() {
    sed -n "s/^port = \([0-9][0-9]*\).*/\1/p" "$DATA/postgresql.conf" | tail -n 1
}

psql_su() {
    "$BIN/psql" -X -q -h "$SOCK" -p "$PORT" -U "$SU" -v ON_ERROR_STOP=1 "$@"
}

cmd_start() {
    BIN="$("$SCRIPT_DIR/ensure-postgres.sh")" || die "no PostgreSQL server available"
    command -v python3 >/dev/null 2>&1 || die "python3 is needed to pick a free port"

    if [[ -e "$DIR" && ! -d "$DIR" ]]; then
        die "$DIR exists and is not a directory"
    fi
    if [[ -d "$DIR" && ! -e "$DIR/$MARKER" ]] && [[ -n "$(ls -A "$DIR")" ]]; then
        die "$DIR is not empty and was not created by this script; refusing to use it"
    fi
    mkdir -p "$DIR"
    chmod 755 "$DIR"
    touch "$DIR/$MARKER"

    if is_root; then
        ensure_postgres_user
        chown postgres: "$DIR"
        runuser -u postgres -- test -w "$DIR" \
            || die "user postgres cannot write to $DIR; make every parent directory" \
                   "traversable (chmod o+x) or use a DIR under /tmp (mktemp -d; chmod 755)"
    fi
    # A unix socket path is limited to 107 bytes: SOCK + "/.s.PGSQL.65535".
    if (( ${#SOCK} + 15 > 107 )); then
        die "socket directory $SOCK is too long for a unix socket; use a shorter DIR"
    fi

    if [[ ! -f "$DATA/PG_VERSION" ]]; then
        rm -rf "$DATA"
        as_owner mkdir -p -m 700 "$DATA"
        log "initialising cluster in $DATA ($BIN)"
        as_owner "$BIN/initdb" -D "$DATA" -U "$SU" --auth=trust \
            --encoding=UTF8 --locale=C --no-sync >"$DIR/initdb.log" 2>&1 \
            || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
        as_owner tee "$DATA/pg_hba.conf" >/dev/null <<'EOF'
# throwaway test cluster: trust everything local
local   all   all                  trust
host    all   all   127.0.0.1/32   trust
EOF
        as_owner tee -a "$DATA/postgresql.conf" >/dev/null <<EOF

# ---- pg-throwaway settings (test only, NOT durable) ----
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
# Test databases live for seconds. An autovacuum worker runs as the superuser, and
# DROP DATABASE … WITH (FORCE) by the test role may not terminate it: the drop fails.
autovacuum = off
EOF
    fi
    as_owner mkdir -p -m 755 "$SOCK"

    if server_running; then
        PORT="$(configured_port)"
        [[ -n "$PORT" ]] || die "cluster in $DATA is running but has no port configured"
        log "already running on 127.0.0.1:$PORT"
    else
        local attempt started=0
        # A crashed server leaves postmaster.pid behind; it is known dead here.
        as_owner rm -f "$DATA/postmaster.pid"
        for attempt in 1 2 3 4 5; do
            PORT="$(free_port)"
            # Drop any previous port line, then set the new one.
            as_owner sed -i '/^port = /d' "$DATA/postgresql.conf"
            printf 'port = %s\n' "$PORT" | as_owner tee -a "$DATA/postgresql.conf" >/dev/null
            log "starting server on 127.0.0.1:$PORT (attempt $attempt)"
            if as_owner "$BIN/pg_ctl" start -D "$DATA" -l "$DIR/postgres.log" -w -t 60 -s >&2; then
                started=1
                break
            fi
            log "start failed; last log lines:"
            tail -n 20 "$DIR/postgres.log" >&2 || true
            as_owner "$BIN/pg_ctl" stop -D "$DATA" -m immediate -s >/dev/null 2>&1 || true
        done
        ((started)) || die "could not start PostgreSQL; see $DIR/postgres.log"
    fi

    if [[ "$(psql_su -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != 1 ]]; then
        psql_su -d postgres -c "CREATE ROLE $DB_USER LOGIN CREATEDB" >&2
    fi
    if [[ "$(psql_su -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]]; then
        psql_su -d postgres -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" >&2
    fi

    local url
    url="$(url_for "$PORT")"
    printf '%s\n' "$url" >"$DIR/url"
    chmod 644 "$DIR/url"
    log "ready: $url"
    printf '%s\n' "$url"
}

cmd_stop() {
    if [[ ! -e "$DIR" ]]; then
        log "$DIR does not exist; nothing to stop"
        return 0
    fi
    [[ -d "$DIR" ]] || die "$DIR is not a directory"
    if [[ ! -e "$DIR/$MARKER" ]]; then
        if [[ -z "$(ls -A "$DIR")" ]]; then
            rmdir "$DIR"
            return 0
        fi
        die "$DIR was not created by this script (no $MARKER); refusing to delete it"
    fi

    if [[ -f "$DATA/postmaster.pid" ]]; then
        BIN="$("$SCRIPT_DIR/ensure-postgres.sh")" || die "no PostgreSQL server available"
        if server_running; then
            log "stopping server in $DATA"
            if ! as_owner "$BIN/pg_ctl" stop -D "$DATA" -m immediate -w -t 60 -s >&2 \
                && server_running; then
                die "pg_ctl stop failed; server in $DATA is still running (DIR kept)"
            fi
        fi
    fi
    rm -rf -- "$DIR"
    log "removed $DIR"
}

[[ $# -eq 2 && -n "$2" ]] || usage
DIR="$(abs_path "$2")"
DIR="${DIR%/}"
[[ -n "$DIR" && "$DIR" != "/" ]] || die "refusing to use / as DIR"
DATA="$DIR/data"
SOCK="$DIR/sock"
BIN=""
PORT=""

case "$1" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    *) usage ;;
esac
