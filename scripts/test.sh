#!/usr/bin/env bash
# `make test`: the whole suite on SQLite, on a throwaway PostgreSQL cluster, against a
# throwaway Mosquitto broker and in headless Chromium. Installs PostgreSQL, Mosquitto and
# Chromium from Debian when missing (as root), starts the cluster and the broker on free
# loopback ports and stops them afterwards, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
export SMARTCUSTOMS_ENVIRONMENT=test
strict="${CI:-false}"

if chromium=$(scripts/ensure-chromium.sh); then
  export SMARTCUSTOMS_TEST_CHROMIUM="$chromium"
elif [ "$strict" = true ]; then
  echo "Chromium is required in CI" >&2; exit 1
else
  echo "warning: no Chromium: browser tests will be skipped" >&2
fi

pgdir=""
mqttdir=""
cleanup() {
  [ -n "$pgdir" ] && scripts/pg-throwaway.sh stop "$pgdir" >/dev/null 2>&1 || true
  if [ -n "$mqttdir" ]; then
    scripts/mosquitto-throwaway.sh stop "$mqttdir" >/dev/null 2>&1 || true
    rm -rf -- "$mqttdir"
  fi
}
trap cleanup EXIT INT TERM
if scripts/ensure-postgres.sh >/dev/null; then
  pgdir=$(mktemp -d /tmp/smartcustoms-pg.XXXXXX)
  chmod 755 "$pgdir"
  SMARTCUSTOMS_TEST_POSTGRES_URL=$(scripts/pg-throwaway.sh start "$pgdir")
  export SMARTCUSTOMS_TEST_POSTGRES_URL
elif [ "$strict" = true ]; then
  echo "PostgreSQL is required in CI" >&2; exit 1
else
  echo "warning: no PostgreSQL: tests marked 'postgres' will be skipped" >&2
fi

if scripts/ensure-mosquitto.sh >/dev/null; then
  mqttdir=$(mktemp -d /tmp/smartcustoms-mqtt.XXXXXX)
  SMARTCUSTOMS_TEST_MQTT_URL=$(scripts/mosquitto-throwaway.sh start "$mqttdir")
  export SMARTCUSTOMS_TEST_MQTT_URL SMARTCUSTOMS_TEST_MQTT_DIR="$mqttdir"
elif [ "$strict" = true ]; then
  echo "Mosquitto is required in CI" >&2; exit 1
else
  echo "warning: no Mosquitto: MQTT broker tests will be skipped" >&2
fi

.venv/bin/ruff check --quiet src tests benchmarks tools
.venv/bin/lint-imports --no-cache >/dev/null
.venv/bin/python -m pytest "$@"
