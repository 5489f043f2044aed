"""Transit service benchmark: intake batches through the stored raw log and the monitors.

Generates N seeded scenarios (the labelled traces of ``transit.scenario``), registers
their devices and trips in a fresh database, and feeds every delivery of all trips,
merged in receive order as a broker would deliver them, through
``TransitService.ingest`` in batches (what the MQTT intake and the HTTPS upload call).
Each batch is committed to ``transit_raw`` before evaluation, then the trips' alerts are
brought in line in the table. Reports:

- sustained telemetry events per second and batch latency (p50 / p95 / max);
- no loss: raw rows = deliveries, accepted + duplicates + quarantined + rejected = events;
- alert identity: the stored active alerts equal those of bare monitors fed the same
  deliveries (the engine benchmark's oracle), and a restart (``load``: replay from the
  raw log) rebuilds the same set, with its time.

    .venv/bin/python benchmarks/transit_service.py                   # 40 scenarios, SQLite
    .venv/bin/python benchmarks/transit_service.py --batch 200 --database-url postgresql+psycopg://…
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from _stats import percentile  # benchmarks/ is on the path when run as a script
from sqlalchemy import func, select

from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, upgrade
from smartcustoms.identity import SYSTEM
from smartcustoms.transit.corridors import CorridorGeometry
from smartcustoms.transit.engine import RecordKind, TripMonitor
from smartcustoms.transit.inbound import Inbound
from smartcustoms.transit.scenario import Scenario, generate_scenario, inbound_items
from smartcustoms.transit.service import TransitService
from smartcustoms.transit.tables import TransitAlertRow, TransitRawRow

TELEMETRY = (RecordKind.TELEMETRY_JSON, RecordKind.TELEMETRY_EPCIS)


def _inbound(scenarios: list[Scenario]) -> list[Inbound]:
    items = [item for s in scenarios for item in inbound_items(s)]
    items.sort(key=lambda i: i.received_at)  # stable: each trip keeps its own order
    return items


def _oracle(scenarios: list[Scenario]) -> set[str]:
    ids: set[str] = set()
    for s in scenarios:
        monitor = TripMonitor(s.trip, CorridorGeometry(s.corridor))
        for d in s.deliveries:
            monitor.receive(d.payload, d.kind, d.received_at)
        ids |= {a.alert_id for a in monitor.alerts}
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"python {platform.python_version()}, SQLAlchemy {version('sqlalchemy')}")
    scenarios = [generate_scenario(args.seed * 100_000 + i) for i in range(args.scenarios)]
    items = _inbound(scenarios)
    events = sum(1 for i in items if i.kind in TELEMETRY)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), environment="test",
                            **({"database_url": args.database_url} if args.database_url else {}))
        engine = make_engine(settings)
        upgrade(engine)
        sessions = session_factory(engine)
        print(f"database: {engine.dialect.name}; {len(scenarios)} trips, {len(items)} "
              f"deliveries ({events} telemetry), batches of {args.batch}")
        service = TransitService(sessions, lambda: items[-1].received_at)
        service.load()
        for s in scenarios:
            service.register_device(SYSTEM, s.trip.device_id)
            service.register_trip(SYSTEM, s.trip.model_dump(mode="json"))

        latencies: list[float] = []
        totals = {"accepted": 0, "duplicates": 0, "quarantined": 0, "rejected": 0,
                  "unrouted": 0}
        start = time.perf_counter()
        for i in range(0, len(items), args.batch):
            t = time.perf_counter()
            report = service.ingest(items[i:i + args.batch])
            latencies.append(time.perf_counter() - t)
            for key in totals:
                totals[key] += getattr(report, key)
        wall = time.perf_counter() - start
        print(f"ingest: {events / wall:,.0f} telemetry events/s ({len(items) / wall:,.0f} "
              f"records/s), {wall:.1f} s; batch latency p50 "
              f"{percentile(latencies, 0.5) * 1000:.0f} ms, p95 "
              f"{percentile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")

        with sessions() as s:
            raw = s.scalar(select(func.count()).select_from(TransitRawRow))
            stored = set(s.scalars(select(TransitAlertRow.alert_id).where(
                TransitAlertRow.engine_state == "active",
                TransitAlertRow.kind != "duplicate_seal_use")))
        print(f"stored: {raw} raw rows for {len(items)} deliveries "
              f"({'no loss' if raw == len(items) else 'LOSS'}); {totals}")
        oracle = _oracle(scenarios)
        print(f"alerts: {len(stored)} stored active, {len(oracle)} from bare monitors: "
              f"{'identical' if stored == oracle else 'DIFFERENT'}")

        restarted = TransitService(sessions, lambda: items[-1].received_at)
        t = time.perf_counter()
        replayed = restarted.load()
        load_s = time.perf_counter() - t
        rebuilt = {a.alert_id for m in restarted._monitors.values() for a in m.alerts}
        print(f"restart: {replayed} records replayed in {load_s:.1f} s "
              f"({replayed / load_s:,.0f}/s); alerts "
              f"{'identical' if rebuilt == oracle else 'DIFFERENT'}")
        engine.dispose()
    return 0 if raw == len(items) and stored == oracle and rebuilt == oracle else 1


if __name__ == "__main__":
    sys.exit(main())
