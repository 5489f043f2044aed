"""Transit intake under bad delivery: duplicates, out-of-order arrival, skewed clocks.

For N seeded scenarios (JSON telemetry, with 1-3 of the generator's faults: detours,
stops, tamper, silence, coverage gaps with reversed backfill, GPS rollover…), deliveries
are perturbed the way networks and trackers do it, at the issue's rates:

- 10 % of the telemetry reports are sent again, unchanged, 1 to 60 minutes later;
- 5 % arrive 3 to 30 minutes late (well past the 2-minute reorder window, so the trip
  is re-evaluated and alerts may be retracted and re-issued on the way);
- 2 % carry a device time two days in the future (a clock fault: quarantined).

Each perturbed trip goes through the transit service (stored raw log, monitors, alert
table) in arrival order, and is checked against an oracle: the same scenario delivered
cleanly, without the skewed reports. Reported per run and in total:

- no loss: accepted = reports − skewed; no double count: duplicates = resent copies;
  quarantined = skewed; raw rows = deliveries;
- the stored alert set equals the oracle's (hash-compared), and so does the set after a
  restart (rebuilt from the raw log).

    .venv/bin/python benchmarks/transit_mix.py                  # 30 scenarios
    .venv/bin/python benchmarks/transit_mix.py --scenarios 60 --seed 5
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import func, select

from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, upgrade
from smartcustoms.identity import SYSTEM
from smartcustoms.transit.corridors import CorridorGeometry
from smartcustoms.transit.engine import RecordKind, TripMonitor
from smartcustoms.transit.scenario import (
    Delivery,
    FaultKind,
    Scenario,
    generate_scenario,
    inbound_items,
)
from smartcustoms.transit.service import TransitService
from smartcustoms.transit.tables import TransitAlertRow, TransitRawRow

DUPLICATE, LATE, SKEW = 0.10, 0.05, 0.02
# The generator's faults, but for its own duplicates and clock skew: those are injected
# here, at the rates above, and counted.
GENERATOR_FAULTS = [f for f in FaultKind if f not in (FaultKind.DUPLICATES, FaultKind.CLOCK_SKEW)]


def _skewed(d: Delivery) -> Delivery:
    event = orjson.loads(d.payload)
    when = datetime.fromisoformat(event["device_time"]) + timedelta(days=2)
    event["device_time"] = when.isoformat()
    event.pop("fix_time", None)
    return replace(d, payload=orjson.dumps(event))


def perturb(scenario: Scenario, rng: random.Random
            ) -> tuple[list[Delivery], list[Delivery], dict[str, int]]:
    """(perturbed deliveries in arrival order, the oracle's clean ones, injected counts)."""
    clean: list[Delivery] = []
    sent: list[tuple[datetime, int, Delivery]] = []
    counts = {"reports": 0, "duplicates": 0, "late": 0, "skewed": 0}
    for i, d in enumerate(scenario.deliveries):
        if d.kind is not RecordKind.TELEMETRY_JSON:
            clean.append(d)
            sent.append((d.received_at, i, d))
            continue
        counts["reports"] += 1
        roll = rng.random()
        if roll < SKEW:
            counts["skewed"] += 1
            sent.append((d.received_at, i, _skewed(d)))
            continue  # the oracle never sees it
        clean.append(d)
        at = d.received_at
        if roll < SKEW + LATE:
            counts["late"] += 1
            at += timedelta(minutes=rng.uniform(3, 30))
        sent.append((at, i, replace(d, received_at=at)))
        if rng.random() < DUPLICATE:
            counts["duplicates"] += 1
            again = at + timedelta(minutes=rng.uniform(1, 60))
            sent.append((again, i, replace(d, received_at=again)))
    sent.sort(key=lambda x: (x[0], x[1]))
    return [d for _, _, d in sent], clean, counts


def _digest(ids: set[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", type=int, default=30)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"python {platform.python_version()}; rates: {DUPLICATE:.0%} duplicates, "
          f"{LATE:.0%} late 3-30 min, {SKEW:.0%} clock-skewed (+2 days)")
    rng = random.Random(args.seed)
    totals = {"reports": 0, "duplicates": 0, "late": 0, "skewed": 0}
    seen = {"accepted": 0, "duplicates": 0, "quarantined": 0}
    identical = restarted_identical = counters_exact = 0
    rows_ok = True
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(Settings(data_dir=Path(tmp), environment="test"))
        upgrade(engine)
        sessions = session_factory(engine)
        deliveries_total = 0
        expected: dict[str, set[str]] = {}
        for n in range(args.scenarios):
            faults = tuple(rng.sample(GENERATOR_FAULTS, rng.randint(1, 3)))
            scenario = generate_scenario(args.seed * 100_000 + n, faults=faults,
                                         epcis_share=0.0)
            sent, clean, counts = perturb(scenario, rng)
            for key in totals:
                totals[key] += counts[key]
            oracle = TripMonitor(scenario.trip, CorridorGeometry(scenario.corridor))
            for d in clean:
                oracle.receive(d.payload, d.kind, d.received_at)
            ref = scenario.trip.reference
            expected[ref] = {a.alert_id for a in oracle.alerts}

            service = TransitService(sessions, lambda sent=sent: sent[-1].received_at)
            service.register_device(SYSTEM, scenario.trip.device_id)
            service.register_trip(SYSTEM, scenario.trip.model_dump(mode="json"))
            items = inbound_items(scenario, sent)
            for i in range(0, len(items), 200):
                service.ingest(items[i:i + 200])
            deliveries_total += len(items)
            c = service.trip_state(SYSTEM, ref).counters
            seen["accepted"] += c["accepted"]
            seen["duplicates"] += c["duplicates"]
            seen["quarantined"] += c["quarantined"]
            exact = (c["accepted"] == counts["reports"] - counts["skewed"]
                     and c["duplicates"] == counts["duplicates"]
                     and c["quarantined"] == counts["skewed"])
            counters_exact += exact
            with sessions() as s:
                stored = set(s.scalars(select(TransitAlertRow.alert_id).where(
                    TransitAlertRow.trip_ref == ref, TransitAlertRow.engine_state == "active",
                    TransitAlertRow.kind != "duplicate_seal_use")))
            identical += stored == expected[ref]
        with sessions() as s:
            rows = s.scalar(select(func.count()).select_from(TransitRawRow))
        rows_ok = rows == deliveries_total
        restarted = TransitService(sessions)
        restarted.load()
        for ref, ids in expected.items():
            restarted_identical += {a.alert_id for a in restarted._monitors[ref].alerts} == ids
        engine.dispose()
    wall = time.perf_counter() - start
    print(f"{args.scenarios} trips, {deliveries_total:,} deliveries in {wall:.1f} s; injected: "
          f"{totals['reports']:,} reports, {totals['duplicates']:,} resent, "
          f"{totals['late']:,} late, {totals['skewed']:,} skewed")
    print(f"counted: accepted {seen['accepted']:,} (expected "
          f"{totals['reports'] - totals['skewed']:,}), duplicates {seen['duplicates']:,} "
          f"(expected {totals['duplicates']:,}), quarantined {seen['quarantined']:,} "
          f"(expected {totals['skewed']:,}); counters exact in {counters_exact}/"
          f"{args.scenarios} trips; raw rows = deliveries: {rows_ok}")
    print(f"alerts: stored set = clean oracle in {identical}/{args.scenarios} trips; after a "
          f"restart (replay of the raw log) in {restarted_identical}/{args.scenarios}; "
          f"oracle digest {_digest(set().union(*expected.values()))}")
    ok = (counters_exact == identical == restarted_identical == args.scenarios) and rows_ok
    print("OK" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
