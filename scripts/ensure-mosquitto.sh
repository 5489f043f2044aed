#!/usr/bin/env bash
# Make sure the Mosquitto MQTT broker (Mosquitto 2) is available.
#
# Usage: scripts/ensure-mosquitto.sh
#
# Looks for `mosquitto` on PATH and in /usr/sbin. If it is missing and we run as
# root, installs Debian's `mosquitto` package (apt-get update once, then a
# non-interactive install). The package's system service is never started: we
# only run our own throwaway brokers (scripts/mosquitto-throwaway.sh), so the
# install runs under a policy-rc.d that forbids starting services, and a broker
# that systemd started anyway is stopped and disabled. As non-root it prints
# install instructions and exits 1.
#
# On success prints the path of the mosquitto binary (e.g. /usr/sbin/mosquitto)
# on stdout; all diagnostics go to stderr. Safe to run repeatedly.
set -euo pipefail

log() { printf 'ensure-mosquitto: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Print the path of an executable mosquitto binary, or nothing.
find_binary() {
    local f
    f="$(PATH="$PATH:/usr/sbin:/usr/local/sbin" command -v mosquitto 2>/dev/null || true)"
    [[ -n "$f" && -x "$f" ]] && printf '%s\n' "$f"
    return 0
}

# Install with invoke-rc.d told to start nothing (exit 101 = "action forbidden").
install_without_service() {
    local policy=/usr/sbin/policy-rc.d backup=""
    if [[ -e "$policy" ]]; then
        backup="$(mktemp)"
        cp -p "$policy" "$backup"
    fi
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    local rc=0
    apt-get "${apt_opts[@]}" install -y --no-install-recommends mosquitto >&2 || rc=$?
    if [[ -n "$backup" ]]; then
        mv -f "$backup" "$policy"
    else
        rm -f "$policy"
    fi
    return "$rc"
}

# Under systemd the unit may still have been enabled (and started); we do not want it.
stop_system_service() {
    if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
        systemctl disable --now mosquitto.service >/dev/null 2>&1 || true
    fi
}

binary="$(find_binary)"

if [[ -z "$binary" ]]; then
    log "no mosquitto binary found"
    if [[ "$(id -u)" -ne 0 ]]; then
        log "not running as root, so not installing it. Install it with:"
        log "    sudo apt-get update && sudo apt-get install -y --no-install-recommends mosquitto"
        log "    sudo systemctl disable --now mosquitto   # the tests run their own brokers"
        exit 1
    fi
    command -v apt-get >/dev/null 2>&1 \
        || die "apt-get not available; install Mosquitto 2 manually"

    export DEBIAN_FRONTEND=noninteractive
    apt_opts=(-o DPkg::Lock::Timeout=300)
    log "running apt-get update"
    apt-get "${apt_opts[@]}" update -qq >&2 || die "apt-get update failed"
    log "installing mosquitto (apt-get install --no-install-recommends mosquitto)"
    install_without_service || die "apt-get install mosquitto failed"
    stop_system_service

    binary="$(find_binary)"
    [[ -n "$binary" ]] || die "mosquitto was installed but no mosquitto binary was found"
    log "installed Mosquitto at $binary"
fi

printf '%s\n' "$binary"
