#!/usr/bin/env bash
# `make bench`: the ingest benchmark on SQLite and on a throwaway PostgreSQL cluster.
# Extra arguments go to benchmarks/ingest.py (e.g. --rows 200000).
set -euo pipefail
cd "$(dirname "$0")/.."
pgdir=""
cleanup() { [ -n "$pgdir" ] && scripts/pg-throwaway.sh stop "$pgdir" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
if [ -z "${SMARTCUSTOMS_BENCH_POSTGRES_URL:-}" ] && scripts/ensure-postgres.sh >/dev/null; then
  pgdir=$(mktemp -d /tmp/smartcustoms-bench-pg.XXXXXX)
  chmod 755 "$pgdir"
  SMARTCUSTOMS_BENCH_POSTGRES_URL=$(scripts/pg-throwaway.sh start "$pgdir")
  export SMARTCUSTOMS_BENCH_POSTGRES_URL
fi
.venv/bin/python benchmarks/ingest.py "$@"
