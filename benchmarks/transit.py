"""Transit monitoring benchmark: throughput, alert quality on labelled scenarios, replay.

Generates N seeded scenarios along the three synthetic sample corridors (see
``smartcustoms.transit.scenario``), feeds each one's deliveries (telemetry as JSON or
EPCIS 2.0, officer commands, 5-minute ticks) in arrival order through a fresh
``TripMonitor`` on one core, and reports:

- throughput: telemetry events per second through decode + dedup + clock check +
  evaluation (alert set and diff computed after every record), and the time per record;
- alert precision per alert kind and recall per fault kind (an alert matches a label of a
  kind it is expected for if they overlap within 30 minutes);
- robustness faults (coverage gap with reversed backfill, duplicates, clock skew, GPS
  rollover): share of scenarios with no alert in the fault window, and counters against
  the injected counts;
- detection delay: receive time of the first diff that raised the alert minus the fault's
  start (includes the rule's own minimum duration by design);
- replay identity: each trip rebuilt from its raw log gives the identical alert set.

    .venv/bin/python benchmarks/transit.py                 # 60 scenarios (~1 min)
    .venv/bin/python benchmarks/transit.py --scenarios 200 --seed 3
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from importlib.metadata import version

from smartcustoms.transit.corridors import CorridorGeometry
from smartcustoms.transit.engine import RecordKind, TripMonitor
from smartcustoms.transit.scenario import FaultKind, generate_scenario, score_scenario


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--epcis-share", type=float, default=0.3)
    args = parser.parse_args()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"python {platform.python_version()}, pydantic {version('pydantic')}, "
          f"shapely {version('shapely')}, orjson {version('orjson')}")
    t = time.perf_counter()
    scenarios = [generate_scenario(args.seed * 100_000 + i, epcis_share=args.epcis_share)
                 for i in range(args.scenarios)]
    print(f"generated {len(scenarios)} scenarios in {time.perf_counter() - t:.1f} s "
          f"(seed {args.seed}, EPCIS share {args.epcis_share})")
    geometries = {c.corridor_id: CorridorGeometry(c) for c in {s.corridor for s in scenarios}}

    telemetry = records = 0
    busy = 0.0
    per_record: list[float] = []
    detected: dict[FaultKind, list[bool]] = defaultdict(list)
    verdicts: dict[str, list[bool]] = defaultdict(list)
    clean: dict[FaultKind, list[bool]] = defaultdict(list)
    counts_ok: Counter[str] = Counter()
    counts_seen: Counter[str] = Counter()
    delays: dict[FaultKind, list[float]] = defaultdict(list)
    retracted = reissued = 0
    replay_identical = 0

    for scenario in scenarios:
        monitor = TripMonitor(scenario.trip, geometries[scenario.corridor.corridor_id])
        first_seen: dict[tuple[str, datetime], datetime] = {}
        for d in scenario.deliveries:
            start = time.perf_counter()
            result = monitor.receive(d.payload, d.kind, d.received_at)
            spent = time.perf_counter() - start
            busy += spent
            per_record.append(spent)
            records += 1
            if d.kind in (RecordKind.TELEMETRY_JSON, RecordKind.TELEMETRY_EPCIS):
                telemetry += 1
            for alert in (*result.diff.raised, *(r.new for r in result.diff.reissued)):
                first_seen.setdefault((alert.kind.value, alert.opened_at), d.received_at)
            retracted += len(result.diff.retracted)
            reissued += len(result.diff.reissued)
        alerts = monitor.alerts
        score = score_scenario(scenario, alerts)
        for kind, found in score.detected:
            detected[kind].append(found)
        for kind, ok in score.verdicts:
            verdicts[kind.value].append(ok)
        for kind, ok in score.clean:
            clean[kind].append(ok)
        for label in scenario.labels:
            if label.expected:
                hits = [a for a in alerts if a.kind is label.expected[0]
                        and a.overlaps(label.start - timedelta(minutes=30),
                                       label.end + timedelta(minutes=30))]
                if hits and (hits[0].kind.value, hits[0].opened_at) in first_seen:
                    seen = first_seen[(hits[0].kind.value, hits[0].opened_at)]
                    # Overdue is late by definition from the time limit, not the trip start.
                    origin = (scenario.trip.time_limit if label.kind is FaultKind.OVERDUE
                              else label.start)
                    delays[label.kind].append((seen - origin).total_seconds() / 60)
            counter = {FaultKind.DUPLICATES: monitor.counters.duplicates,
                       FaultKind.CLOCK_SKEW: monitor.counters.quarantined,
                       FaultKind.GPS_ROLLOVER: monitor.counters.corrected}.get(label.kind)
            if counter is not None:
                counts_seen[label.kind.value] += 1
                counts_ok[label.kind.value] += counter == label.count
        replayed = TripMonitor.replay(scenario.trip, geometries[scenario.corridor.corridor_id],
                                      monitor.log)
        replay_identical += (replayed.alerts == alerts
                             and replayed.counters == monitor.counters)

    per_record.sort()
    print(f"\nthroughput (one core): {telemetry} telemetry payloads, {records} records "
          f"in {busy:.2f} s -> {telemetry / busy:,.0f} events/s, {records / busy:,.0f} records/s")
    print(f"time per record: p50 {per_record[len(per_record) // 2] * 1e6:.0f} us, "
          f"p99 {per_record[int(len(per_record) * 0.99)] * 1e6:.0f} us, "
          f"max {per_record[-1] * 1e3:.1f} ms")
    print(f"diffs during the runs: {retracted} alerts retracted, {reissued} re-issued")

    print("\nrecall per fault kind (labels found / labels) and detection delay (median min;"
          " overdue: from the time limit)")
    for kind in sorted(detected, key=lambda k: k.value):
        found = detected[kind]
        delay = f"{statistics.median(delays[kind]):6.1f}" if delays[kind] else "     -"
        print(f"  {kind.value:24s} {sum(found):3d}/{len(found):3d} = "
              f"{sum(found) / len(found):.3f}   delay {delay}")
    print("\nprecision per alert kind (alerts explained by a label / alerts raised)")
    for kind in sorted(verdicts):
        ok = verdicts[kind]
        print(f"  {kind:24s} {sum(ok):3d}/{len(ok):3d} = {sum(ok) / len(ok):.3f}")
    print("\nrobustness faults: scenarios with no unexplained alert in the fault window;"
          " counters equal to the injected counts")
    for kind in sorted(clean, key=lambda k: k.value):
        ok = clean[kind]
        exact = (f"   counter exact {counts_ok[kind.value]}/{counts_seen[kind.value]}"
                 if counts_seen[kind.value] else "")
        print(f"  {kind.value:24s} {sum(ok):3d}/{len(ok):3d}{exact}")
    print(f"\nreplay identity: {replay_identical}/{len(scenarios)} scenarios rebuilt from the "
          "raw log give the identical alert set and counters")
    return 0 if replay_identical == len(scenarios) else 1


if __name__ == "__main__":
    sys.exit(main())
