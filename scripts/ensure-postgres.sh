#!/usr/bin/env bash
# Make sure a PostgreSQL server (initdb, pg_ctl, postgres) is available.
#
# Usage: scripts/ensure-postgres.sh
#
# Looks for /usr/lib/postgresql/<version>/bin/pg_ctl (highest version wins).
# If none is found and we run as root, installs Debian's `postgresql` package
# (apt-get update once, then a non-interactive install). As non-root it prints
# install instructions and exits 1.
#
# On success prints the server bin directory (e.g. /usr/lib/postgresql/15/bin)
# on stdout; all diagnostics go to stderr. Safe to run repeatedly.
#
# Environment:
#   PG_LIB_DIR  where to look for versions (default: /usr/lib/postgresql)
set -euo pipefail

PG_LIB_DIR="${PG_LIB_DIR:-/usr/lib/postgresql}"

log() { printf 'ensure-postgres: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Print the bin dir of the highest installed version, or nothing.
find_bin_dir() {
    local candidates=() f
    shopt -s nullglob
    for f in "$PG_LIB_DIR"/*/bin/pg_ctl; do
        [[ -x "$f" && -x "${f%/pg_ctl}/initdb" && -x "${f%/pg_ctl}/postgres" ]] \
            && candidates+=("${f%/pg_ctl}")
    done
    shopt -u nullglob
    ((${#candidates[@]})) || return 0
    printf '%s\n' "${candidates[@]}" | sort -V | tail -n 1
}

bin_dir="$(find_bin_dir)"

if [[ -z "$bin_dir" ]]; then
    log "no PostgreSQL server found under $PG_LIB_DIR/*/bin"
    if [[ "$(id -u)" -ne 0 ]]; then
        log "not running as root, so not installing it. Install it with:"
        log "    sudo apt-get update && sudo apt-get install -y --no-install-recommends postgresql"
        exit 1
    fi
    command -v apt-get >/dev/null 2>&1 \
        || die "apt-get not available; install a PostgreSQL server (initdb, pg_ctl, postgres) manually"

    export DEBIAN_FRONTEND=noninteractive
    apt_opts=(-o DPkg::Lock::Timeout=300)
    log "running apt-get update"
    apt-get "${apt_opts[@]}" update >&2 || die "apt-get update failed"
    log "installing postgresql (apt-get install --no-install-recommends postgresql)"
    apt-get "${apt_opts[@]}" install -y --no-install-recommends postgresql >&2 \
        || die "apt-get install postgresql failed"

    bin_dir="$(find_bin_dir)"
    [[ -n "$bin_dir" ]] \
        || die "postgresql was installed but no $PG_LIB_DIR/*/bin/pg_ctl was found"
    log "installed PostgreSQL server in $bin_dir"
fi

printf '%s\n' "$bin_dir"
