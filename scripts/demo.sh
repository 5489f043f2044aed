#!/usr/bin/env bash
# `make demo`: set everything up on the embedded default and serve it (data in var/).
# When Mosquitto is available (installed from Debian when missing, as root), a broker runs
# beside the server for as long as the demo does, so the live trip's tracker reports
# through MQTT like a real one; without it the live trip reports straight to the service.
set -euo pipefail
cd "$(dirname "$0")/.."
data=var
mqttdir=""
cleanup() { [ -n "$mqttdir" ] && scripts/mosquitto-throwaway.sh stop "$mqttdir" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
if [ "${1:-}" != "--no-serve" ] && scripts/ensure-mosquitto.sh >/dev/null 2>&1; then
  mqttdir="$PWD/$data/mqtt-broker"
  mkdir -p "$mqttdir"
  SMARTCUSTOMS_MQTT_URL=$(scripts/mosquitto-throwaway.sh start "$mqttdir" 2>/dev/null)
  export SMARTCUSTOMS_MQTT_URL SMARTCUSTOMS_MQTT_BROKER_DIR="$mqttdir"
elif [ "${1:-}" != "--no-serve" ]; then
  echo "note: no Mosquitto: the live trip will report straight to the service" >&2
fi
.venv/bin/smartcustoms --data-dir "$data" demo "$@"
