#!/usr/bin/env bash
# Start/stop a throwaway Mosquitto 2 broker for tests and benchmarks.
#
# Usage:
#   scripts/mosquitto-throwaway.sh start DIR   # prints mqtt://127.0.0.1:PORT on stdout
#   scripts/mosquitto-throwaway.sh stop DIR    # stops the broker; DIR is kept
#
# `start` writes DIR/mosquitto.conf and starts the broker listening only on
# 127.0.0.1 on a free port, with anonymous access off, no persistence, its log in
# DIR/mosquitto.log and its pid in DIR/mosquitto.pid. Authentication and
# authorisation come from DIR/passwd and DIR/acl: the script writes an empty
# password file (nobody can log in) and an ACL with only the device patterns.
# Tests and the platform rewrite both files (smartcustoms.mqtt.broker) and send
# SIGHUP, on which Mosquitto re-reads them. The URL is also written to DIR/url.
# Running `start` again on a running broker just prints the URL.
#
# The broker runs as the calling user: as root, Mosquitto would otherwise drop
# privileges to the `mosquitto` user, which cannot read files written by root with
# mode 0600, so the config says `user <current user>`.
#
# Queue limits are raised from Mosquitto's defaults (1000 queued messages per
# client, 20 in flight): a persistent subscriber that is briefly behind or
# restarting must not have QoS 1 messages dropped, and the intake (MQTT 3.1.1,
# acking only after each batch is committed) gets as many unacked messages at a
# time as max_inflight_messages allows, which must cover a few batches.
#
# Diagnostics go to stderr; the broker log is DIR/mosquitto.log.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
TOPIC_PREFIX=smartcustoms/v1/devices   # smartcustoms.transit.inbound.TOPIC_PREFIX

log() { printf 'mosquitto-throwaway: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() {
    printf 'usage: %s start DIR | stop DIR\n' "${0##*/}" >&2
    exit 2
}

free_port() {
    python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Absolute path of DIR without requiring it to exist.
abs_path() {
    case "$1" in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s/%s\n' "$(pwd -P)" "$1" ;;
    esac
}

# Pid of the broker recorded in DIR/mosquitto.pid if it is alive, else nothing. A
# zombie counts as dead: the daemonised broker's parent is init, which in a container
# may never reap it.
broker_pid() {
    local pid state
    [[ -f "$PID_FILE" ]] || return 0
    pid="$(head -n 1 "$PID_FILE" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == mosquitto ]] || return 0
    state="$(sed -n 's/^.*) \([A-Za-z]\) .*$/\1/p' "/proc/$pid/stat" 2>/dev/null || true)"
    [[ -n "$state" && "$state" != Z && "$state" != X ]] || return 0
    printf '%s\n' "$pid"
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

write_config() {
    cat >"$DIR/mosquitto.conf" <<CONF
# written by scripts/mosquitto-throwaway.sh (test only)
per_listener_settings false
listener $1 127.0.0.1
allow_anonymous false
password_file $DIR/passwd
acl_file $DIR/acl
persistence false
pid_file $PID_FILE
user $(id -un)
log_dest file $DIR/mosquitto.log
log_type error
log_type warning
log_type notice
log_type information
connection_messages true
max_inflight_messages 1000
max_queued_messages 1000000
max_queued_bytes 0
CONF
}

write_initial_auth() {
    [[ -e "$DIR/passwd" ]] || : >"$DIR/passwd"
    [[ -e "$DIR/acl" ]] || cat >"$DIR/acl" <<ACL
# devices write only under their own id (smartcustoms.mqtt.broker rewrites this file)
pattern write $TOPIC_PREFIX/%u/json
pattern write $TOPIC_PREFIX/%u/epcis
ACL
    chmod 600 "$DIR/passwd" "$DIR/acl"
}

cmd_start() {
    local binary pid attempt
    binary="$("$SCRIPT_DIR/ensure-mosquitto.sh")" || die "no Mosquitto available"
    command -v python3 >/dev/null 2>&1 || die "python3 is needed to pick a free port"
    [[ -e "$DIR" && ! -d "$DIR" ]] && die "$DIR exists and is not a directory"
    mkdir -p "$DIR"

    pid="$(broker_pid)"
    if [[ -n "$pid" && -f "$DIR/url" ]]; then
        log "already running (pid $pid)"
        cat "$DIR/url"
        return 0
    fi
    rm -f "$PID_FILE"
    write_initial_auth

    for attempt in 1 2 3 4 5; do
        PORT="$(free_port)"
        write_config "$PORT"
        log "starting $binary on 127.0.0.1:$PORT (attempt $attempt)"
        if "$binary" -d -c "$DIR/mosquitto.conf" >>"$DIR/mosquitto.log" 2>&1; then
            local i
            for i in $(seq 1 100); do
                pid="$(broker_pid)"
                [[ -n "$pid" ]] && port_open "$PORT" && break
                sleep 0.05
            done
            if [[ -n "$pid" ]] && port_open "$PORT"; then
                printf 'mqtt://127.0.0.1:%s\n' "$PORT" >"$DIR/url"
                log "ready: mqtt://127.0.0.1:$PORT (pid $pid)"
                cat "$DIR/url"
                return 0
            fi
            [[ -n "$pid" ]] && kill "$pid" 2>/dev/null
        fi
        log "start failed; last log lines:"
        tail -n 5 "$DIR/mosquitto.log" >&2 || true
    done
    die "could not start Mosquitto; see $DIR/mosquitto.log"
}

cmd_stop() {
    local pid i
    [[ -d "$DIR" ]] || { log "$DIR does not exist; nothing to stop"; return 0; }
    pid="$(broker_pid)"
    if [[ -z "$pid" ]]; then
        log "no broker running in $DIR"
        return 0
    fi
    kill "$pid"
    for i in $(seq 1 100); do
        [[ -z "$(broker_pid)" ]] && { log "stopped (pid $pid)"; return 0; }
        sleep 0.05
    done
    kill -9 "$pid" 2>/dev/null || true
    log "killed (pid $pid)"
}

[[ $# -eq 2 && -n "$2" ]] || usage
DIR="$(abs_path "$2")"
DIR="${DIR%/}"
[[ -n "$DIR" && "$DIR" != "/" ]] || die "refusing to use / as DIR"
PID_FILE="$DIR/mosquitto.pid"
PORT=""

case "$1" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    *) usage ;;
esac
