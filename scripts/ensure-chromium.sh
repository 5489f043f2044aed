#!/usr/bin/env bash
# Make sure Debian's Chromium is installed at /usr/bin/chromium (plus
# fonts-dejavu-core so pages render with real glyphs).
#
# Usage: scripts/ensure-chromium.sh
#
# When something is missing and we run as root, installs it with
# `apt-get install -y --no-install-recommends`; `apt-get update` is only run
# when the package is unknown to apt or the first install attempt fails.
# As non-root it prints install instructions and exits 1.
#
# On success prints the browser path (/usr/bin/chromium) on stdout; all
# diagnostics go to stderr. Safe to run repeatedly.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
PACKAGES=(chromium fonts-dejavu-core)

log() { printf 'ensure-chromium: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

pkg_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

# True when apt knows an installation candidate for every package given.
apt_knows() {
    local p cand
    for p in "$@"; do
        cand="$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')"
        [[ -n "$cand" && "$cand" != "(none)" ]] || return 1
    done
}

missing=()
[[ -x "$CHROMIUM" ]] || missing+=(chromium)
if command -v dpkg-query >/dev/null 2>&1; then
    pkg_installed fonts-dejavu-core || missing+=(fonts-dejavu-core)
fi

if ((${#missing[@]})); then
    log "missing: ${missing[*]}"
    if [[ "$(id -u)" -ne 0 ]]; then
        log "not running as root, so not installing. Install with:"
        log "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${PACKAGES[*]}"
        exit 1
    fi
    command -v apt-get >/dev/null 2>&1 \
        || die "apt-get not available; install Chromium so that $CHROMIUM exists"

    export DEBIAN_FRONTEND=noninteractive
    apt_opts=(-o DPkg::Lock::Timeout=300)
    install_cmd=(apt-get "${apt_opts[@]}" install -y --no-install-recommends "${PACKAGES[@]}")

    updated=0
    if ! apt_knows "${PACKAGES[@]}"; then
        log "package lists do not know ${PACKAGES[*]}; running apt-get update"
        apt-get "${apt_opts[@]}" update >&2 || die "apt-get update failed"
        updated=1
    fi
    log "installing ${PACKAGES[*]}"
    if ! "${install_cmd[@]}" >&2; then
        ((updated)) && die "apt-get install ${PACKAGES[*]} failed"
        log "install failed; running apt-get update and retrying"
        apt-get "${apt_opts[@]}" update >&2 || die "apt-get update failed"
        "${install_cmd[@]}" >&2 || die "apt-get install ${PACKAGES[*]} failed"
    fi
    [[ -x "$CHROMIUM" ]] || die "installed ${PACKAGES[*]} but $CHROMIUM is still missing"
    log "installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
fi

printf '%s\n' "$CHROMIUM"
