"""Seeded generator of labelled transit scenarios along the sample corridors.

A scenario is what the platform would receive for one trip, in arrival order: telemetry
payloads (JSON or EPCIS), officer commands and evaluation ticks, each with its receive
time, plus ground-truth labels of the faults injected. The same seed gives the same
bytes. Movement: a truck leaves the departure office, drives at 60-80 km/h with GNSS
noise (σ ≈ 8 m) and rare single-fix outliers (300-900 m), takes authorised breaks in the
rest areas and a check at the en-route office (sometimes with an authorised seal
opening), and arrives at the destination office, where the seal is disarmed.

Faults (labelled with their device-time window and the alert kinds they should raise):
detour, long_stop, tamper, gnss_loss, temperature_excursion, device_silence (reports
lost), low_battery, overdue; and faults that must raise nothing: coverage_gap (reports
buffered and delivered newest-first when coverage returns), duplicates, clock_skew (far
future device time: quarantined), gps_rollover (1024 weeks early: corrected).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from smartcustoms.transit._sample_corridors import SAMPLE_CORRIDORS
from smartcustoms.transit.alerts import Alert, AlertKind
from smartcustoms.transit.clock import GPS_WEEK_ROLLOVER
from smartcustoms.transit.corridors import Corridor, CorridorGeometry, ZoneKind
from smartcustoms.transit.engine import RecordKind
from smartcustoms.transit.epcis import export_epcis_json
from smartcustoms.transit.events import (
    CommandKind,
    SealCommand,
    SealStatus,
    TamperFlag,
    TelemetryEvent,
)
from smartcustoms.transit.inbound import Inbound, Source
from smartcustoms.transit.trips import RiskLevel, Trip, container_check_digit


class FaultKind(StrEnum):
    DETOUR = "detour"
    LONG_STOP = "long_stop"
    TAMPER = "tamper"
    GNSS_LOSS = "gnss_loss"
    TEMPERATURE_EXCURSION = "temperature_excursion"
    DEVICE_SILENCE = "device_silence"
    LOW_BATTERY = "low_battery"
    OVERDUE = "overdue"
    COVERAGE_GAP = "coverage_gap"
    DUPLICATES = "duplicates"
    CLOCK_SKEW = "clock_skew"
    GPS_ROLLOVER = "gps_rollover"


EXPECTED: dict[FaultKind, tuple[AlertKind, ...]] = {
    FaultKind.DETOUR: (AlertKind.ROUTE_DEVIATION,),
    FaultKind.LONG_STOP: (AlertKind.UNSCHEDULED_STOP,),
    FaultKind.TAMPER: (AlertKind.SEAL_TAMPER,),
    FaultKind.GNSS_LOSS: (AlertKind.GNSS_LOSS,),
    FaultKind.TEMPERATURE_EXCURSION: (AlertKind.TEMPERATURE_EXCURSION,),
    FaultKind.DEVICE_SILENCE: (AlertKind.SILENT_DEVICE,),
    FaultKind.LOW_BATTERY: (AlertKind.LOW_BATTERY,),
    FaultKind.OVERDUE: (AlertKind.OVERDUE, AlertKind.AT_RISK_OF_OVERDUE),
    FaultKind.COVERAGE_GAP: (),
    FaultKind.DUPLICATES: (),
    FaultKind.CLOCK_SKEW: (),
    FaultKind.GPS_ROLLOVER: (),
}
# Faults placed at a point of the route; the others act on the whole trip.
_PLACED = (
    FaultKind.DETOUR, FaultKind.LONG_STOP, FaultKind.TAMPER, FaultKind.GNSS_LOSS,
    FaultKind.TEMPERATURE_EXCURSION, FaultKind.DEVICE_SILENCE, FaultKind.COVERAGE_GAP,
    FaultKind.LOW_BATTERY,
)
_SLOTS = (0.14, 0.22, 0.40, 0.60, 0.80, 0.90)  # away from the zones at 0.3, 0.5, 0.7
REPORT_INTERVAL_S = 60.0


@dataclass(frozen=True, slots=True)
class FaultLabel:
    kind: FaultKind
    start: datetime
    end: datetime
    expected: tuple[AlertKind, ...]
    count: int = 0  # events affected, for duplicates / clock faults


@dataclass(frozen=True, slots=True)
class Delivery:
    received_at: datetime
    kind: RecordKind
    payload: bytes


@dataclass(slots=True)
class Scenario:
    scenario_id: str
    seed: int
    trip: Trip
    corridor: Corridor
    deliveries: list[Delivery]
    labels: list[FaultLabel]
    events_generated: int = 0


@dataclass(slots=True)
class _Sample:
    t: float
    s: float
    offset: float
    speed: float
    stopped: bool
    seal: SealStatus = SealStatus.SEALED
    flags: tuple[TamperFlag, ...] = ()
    fix: bool = True
    temp: float = 4.0
    battery: float = 100.0
    lost: bool = False
    gap: bool = False
    duplicate: bool = False
    clock_shift: timedelta | None = None


@dataclass(slots=True)
class _Plan:
    samples: list[_Sample] = field(default_factory=list)
    commands: list[SealCommand] = field(default_factory=list)


def _stop(plan: _Plan, rng: random.Random, t: float, s: float, minutes: float) -> float:
    for _ in range(int(minutes * 60 / REPORT_INTERVAL_S)):
        plan.samples.append(_Sample(t, s, 0.0, rng.uniform(0.0, 1.5), True))
        t += REPORT_INTERVAL_S
    return t


def _drive(
    plan: _Plan, rng: random.Random, t: float, s: float, to: float, kmh: float
) -> tuple[float, float]:
    while s < to:
        v = kmh * rng.uniform(0.92, 1.08)
        plan.samples.append(_Sample(t, s, 0.0, v, False))
        s = min(to, s + v / 3.6 * REPORT_INTERVAL_S)
        t += REPORT_INTERVAL_S
    return t, s


def _detour(plan: _Plan, rng: random.Random, t: float, s: float) -> tuple[float, float]:
    minutes, peak = rng.uniform(20, 35), rng.uniform(1500, 4000) * rng.choice((-1, 1))
    n = int(minutes * 60 / REPORT_INTERVAL_S)
    ramp = 5
    for i in range(n):
        share = min(1.0, i / ramp, (n - 1 - i) / ramp)
        v = rng.uniform(35, 50)
        plan.samples.append(_Sample(t, s, peak * max(0.0, share), v, False))
        s += v / 3.6 * REPORT_INTERVAL_S * 0.3  # mostly away from the route
        t += REPORT_INTERVAL_S
    return t, s


def _mrn(seed: int, country: str) -> str:
    return f"25{country}{seed:013d}X"


def _container(seed: int) -> str:
    head = f"SCU{'U'}{seed % 1_000_000:06d}"
    return head + str(container_check_digit(head))


def _window(plan: _Plan, start_s: float, minutes: float) -> list[_Sample]:
    """Samples from the first moving one past ``start_s`` for ``minutes``."""
    first = next(i for i, x in enumerate(plan.samples) if x.s >= start_s and not x.stopped)
    return plan.samples[first : first + int(minutes * 60 / REPORT_INTERVAL_S)]


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(round(t, 3), UTC)


def generate_scenario(
    seed: int,
    *,
    faults: tuple[FaultKind, ...] | None = None,
    corridor: Corridor | None = None,
    epcis_share: float = 0.3,
    start: datetime = datetime(2025, 3, 3, 6, 0, tzinfo=UTC),
) -> Scenario:
    rng = random.Random(seed)
    corridor = corridor or SAMPLE_CORRIDORS[seed % len(SAMPLE_CORRIDORS)]
    geometry = CorridorGeometry(corridor)
    length = geometry.length_m
    if faults is None:
        faults = tuple(rng.sample(list(FaultKind), rng.randint(1, 3)))
    placed = [f for f in faults if f in _PLACED]
    slots = dict(zip(placed, rng.sample(_SLOTS, len(placed)), strict=False))
    overdue = FaultKind.OVERDUE in faults
    cruise = 42.0 if overdue else rng.uniform(62, 78)
    t0 = (start + timedelta(hours=seed % 48)).timestamp()
    zones = {z.kind: z for z in corridor.zones}
    offices = [z for z in corridor.zones if z.kind is ZoneKind.CUSTOMS_OFFICE]
    departure_zone, enroute_office = offices[0], offices[-1]
    destination = zones[ZoneKind.BORDER_CROSSING]
    seal_id = f"SEAL-{seed:07d}"
    reefer = FaultKind.TEMPERATURE_EXCURSION in faults or rng.random() < 0.3

    # --- movement -------------------------------------------------------------------
    plan = _Plan()
    t = _stop(plan, rng, t0 - 15 * 60, 0.0, 15)
    stations: list[tuple[float, str]] = [
        (geometry.locate(*z.centre).progress, z.zone_id)
        for z in corridor.zones
        if z.centre is not None and z is not departure_zone
        and z.kind in (ZoneKind.REST_AREA, ZoneKind.CUSTOMS_OFFICE)
    ]
    for fault, frac in slots.items():
        if fault in (FaultKind.DETOUR, FaultKind.LONG_STOP):
            stations.append((frac, fault.value))
    stations.sort()
    s = 0.0
    inspection = rng.random() < 0.4
    inspect_at: float | None = None
    for frac, what in stations:
        t, s = _drive(plan, rng, t, s, frac * length, cruise)
        if what == FaultKind.DETOUR.value:
            t, s = _detour(plan, rng, t, s)
        elif what == FaultKind.LONG_STOP.value:
            t = _stop(plan, rng, t, s, rng.uniform(60, 100))
        elif what == enroute_office.zone_id:
            inspect_at = t
            t = _stop(plan, rng, t, s, 30)
        else:
            t = _stop(plan, rng, t, s, rng.uniform(30, 50))
    t, s = _drive(plan, rng, t, s, length, cruise)
    arrival_t = t
    _stop(plan, rng, t, length, 45)
    end_t = plan.samples[-1].t

    # --- trip and officer commands --------------------------------------------------
    planned_h = length / 1000 / corridor.planning_speed_kmh + 2.5
    limit = t0 + (planned_h * 0.8 if overdue else planned_h * 1.6) * 3600
    country = corridor.corridor_id.split("-")[1]
    trip = Trip(
        reference=_mrn(seed, country), declaration_ref=f"DEC-{seed:07d}",
        container_id=_container(seed), seal_ids=(seal_id,), device_id=f"ESEAL-{seed:07d}",
        office_of_departure=departure_zone.office or "XX000000",
        office_of_destination=destination.office or "XX000000",
        corridor_id=corridor.corridor_id, departure_at=_dt(t0), time_limit=_dt(limit),
        risk=RiskLevel.MEDIUM, temperature_range_c=(2.0, 8.0) if reefer else None,
    )

    def command(kind: CommandKind, at: float, office: str | None) -> None:
        plan.commands.append(SealCommand(
            command_id=f"CMD-{seed}-{len(plan.commands)}", kind=kind, officer_id="officer-7",
            seal_id=seal_id, issued_at=_dt(at), office=office))

    command(CommandKind.ASSIGN, t0 - 12 * 60 + 5, departure_zone.office)
    command(CommandKind.ARM, t0 - 10 * 60 + 5, departure_zone.office)
    if inspection and inspect_at is not None:
        a = inspect_at
        command(CommandKind.AUTHORISE_OPENING, a + 5 * 60 + 5, enroute_office.office)
        for x in plan.samples:
            if a + 6 * 60 <= x.t < a + 18 * 60:
                x.seal = SealStatus.OPENED
        command(CommandKind.RESEAL, a + 19 * 60 + 5, enroute_office.office)
    command(CommandKind.CONFIRM_ARRIVAL, arrival_t + 10 * 60 + 5, destination.office)
    command(CommandKind.DISARM, arrival_t + 15 * 60 + 5, destination.office)
    for x in plan.samples:
        if x.t >= arrival_t + 20 * 60:
            x.seal = SealStatus.OPENED  # unloading, lawfully after disarming

    # --- sensors and faults ---------------------------------------------------------
    hours0 = plan.samples[0].t
    for x in plan.samples:
        x.battery = 100.0 - 0.4 * (x.t - hours0) / 3600
        x.temp = rng.gauss(4.5, 0.4) if reefer else rng.gauss(26.0, 2.0)
    labels: list[FaultLabel] = []
    for fault in faults:
        expected = EXPECTED[fault]
        if fault is FaultKind.OVERDUE:
            labels.append(FaultLabel(fault, _dt(t0), _dt(end_t), expected))
            continue
        if fault is FaultKind.DUPLICATES:
            picked = [x for x in plan.samples if rng.random() < 0.1]
            for x in picked:
                x.duplicate = True
            labels.append(FaultLabel(fault, _dt(t0), _dt(end_t), expected, len(picked)))
            continue
        if fault in (FaultKind.CLOCK_SKEW, FaultKind.GPS_ROLLOVER):
            moving = [x for x in plan.samples if not x.stopped]
            picked = rng.sample(moving, rng.randint(3, 6))
            for x in picked:
                x.clock_shift = (timedelta(days=rng.uniform(2, 30))
                                 if fault is FaultKind.CLOCK_SKEW else -GPS_WEEK_ROLLOVER)
            first, last = min(x.t for x in picked), max(x.t for x in picked)
            labels.append(FaultLabel(fault, _dt(first), _dt(last), expected, len(picked)))
            continue
        frac = slots[fault]
        if fault is FaultKind.DETOUR:
            window = [x for x in plan.samples if abs(x.offset) > 0]
        elif fault is FaultKind.LONG_STOP:
            first = next(i for i, x in enumerate(plan.samples) if x.s >= frac * length)
            window = []
            for x in plan.samples[first:]:
                if not x.stopped and window:
                    break
                if x.stopped:
                    window.append(x)
        elif fault is FaultKind.TAMPER:
            window = _window(plan, frac * length, 5)
            for x in window:
                x.seal, x.flags = SealStatus.OPENED, (TamperFlag.CASE_OPENED,)
        elif fault is FaultKind.GNSS_LOSS:
            window = _window(plan, frac * length, rng.uniform(25, 45))
            for x in window:
                x.fix = False
        elif fault is FaultKind.TEMPERATURE_EXCURSION:
            window = _window(plan, frac * length, rng.uniform(30, 50))
            peak = rng.uniform(10, 15)
            for i, x in enumerate(window):
                x.temp = 4.5 + (peak - 4.5) * min(1.0, (i + 1) / 5, (len(window) - i) / 5)
        elif fault in (FaultKind.DEVICE_SILENCE, FaultKind.COVERAGE_GAP):
            window = _window(plan, frac * length, rng.uniform(40, 80))
            for x in window:
                if fault is FaultKind.DEVICE_SILENCE:
                    x.lost = True
                else:
                    x.gap = True
        else:  # LOW_BATTERY: the battery drains from the slot on
            window = _window(plan, frac * length, 60)
            start_t, start_level = window[0].t, window[0].battery
            for x in plan.samples:
                if x.t >= start_t:
                    x.battery = max(3.0, start_level - 1.0 * (x.t - start_t) / 60)
            window = [x for x in plan.samples if x.t >= start_t and x.battery < 15] or window
        labels.append(FaultLabel(fault, _dt(window[0].t), _dt(window[-1].t), expected))

    deliveries, duplicates = _deliver(rng, plan, trip, geometry, epcis_share)
    labels = [_recount(label, plan, duplicates) for label in labels]
    return Scenario(f"scn-{seed}", seed, trip, corridor, deliveries, labels, len(plan.samples))


def _recount(label: FaultLabel, plan: _Plan, duplicates: int) -> FaultLabel:
    """Reports lost to a silence window never arrive: count what was delivered."""
    if label.kind is FaultKind.DUPLICATES:
        return replace(label, count=duplicates)
    if label.kind in (FaultKind.CLOCK_SKEW, FaultKind.GPS_ROLLOVER):
        future = label.kind is FaultKind.CLOCK_SKEW
        n = sum(1 for x in plan.samples if x.clock_shift is not None and not x.lost
                and (x.clock_shift > timedelta(0)) == future)
        return replace(label, count=n)
    return label


def _deliver(
    rng: random.Random, plan: _Plan, trip: Trip, geometry: CorridorGeometry, epcis_share: float
) -> tuple[list[Delivery], int]:
    out: list[Delivery] = []
    duplicates = 0
    gap_end: float | None = None
    gap_batch: list[tuple[TelemetryEvent, float]] = []
    for seq, x in enumerate(plan.samples):
        device_t = x.t + rng.uniform(-1.0, 1.0)
        lon, lat = geometry.point_at(x.s, x.offset)
        if rng.random() < 0.01:  # a GNSS outlier, one fix
            bearing, dist = rng.uniform(0, 2 * math.pi), rng.uniform(300, 900)
            nx, ny = dist * math.cos(bearing), dist * math.sin(bearing)
        else:
            nx, ny = rng.gauss(0, 8), rng.gauss(0, 8)
        lat += ny / 111_195.0
        lon += nx / (111_195.0 * math.cos(math.radians(lat)))
        shift = x.clock_shift or timedelta(0)
        device_time = _dt(device_t) + shift
        fix_time = _dt(device_t - rng.uniform(0, 4)) + shift
        event = TelemetryEvent(
            device_id=trip.device_id, device_seq=seq, device_time=device_time,
            fix_time=fix_time if x.fix else None,
            lat=round(lat, 6) if x.fix else None, lon=round(lon, 6) if x.fix else None,
            speed_kmh=round(x.speed, 1) if x.fix else None, seal_status=x.seal,
            temperature_c=round(x.temp, 2), battery_pct=round(x.battery, 1),
            tamper_flags=x.flags,
        )
        if x.lost:
            continue
        if x.gap:
            gap_batch.append((event, device_t))
            gap_end = device_t
            continue
        received = device_t + rng.uniform(2, 30)
        if rng.random() < 0.03:
            received += rng.uniform(30, 90)  # network delay: out of order within lateness
        if gap_batch and gap_end is not None:
            # Coverage is back: the device empties its buffer newest-first.
            for i, (ev, _) in enumerate(reversed(gap_batch)):
                out.append(_payload(rng, trip, ev, received - 1 + i * 0.05, epcis_share))
            gap_batch, gap_end = [], None
        out.append(_payload(rng, trip, event, received, epcis_share))
        if x.duplicate:
            duplicates += 1
            out.append(_payload(rng, trip, event, received + rng.uniform(5, 100), epcis_share))
    for cmd in plan.commands:
        out.append(Delivery(cmd.issued_at + timedelta(seconds=1), RecordKind.COMMAND,
                            cmd.model_dump_json().encode()))
    out.sort(key=lambda d: d.received_at)
    first, last = out[0].received_at, out[-1].received_at
    tick = first
    while tick <= last + timedelta(minutes=10):
        out.append(Delivery(tick, RecordKind.TICK, tick.isoformat().encode()))
        tick += timedelta(minutes=5)
    out.sort(key=lambda d: (d.received_at, d.kind is RecordKind.TICK))
    return out, duplicates


def _payload(
    rng: random.Random, trip: Trip, event: TelemetryEvent, received: float, epcis_share: float
) -> Delivery:
    at = _dt(received)
    if rng.random() < epcis_share:
        return Delivery(at, RecordKind.TELEMETRY_EPCIS,
                        export_epcis_json(trip, [event], creation_date=at))
    body = event.model_dump_json(exclude_none=True, exclude_defaults=True).encode()
    return Delivery(at, RecordKind.TELEMETRY_JSON, body)


def generate_scenarios(count: int, seed: int = 0) -> list[Scenario]:
    return [generate_scenario(seed * 100_000 + i) for i in range(count)]


# --- scoring ------------------------------------------------------------------------

SLACK = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class ScenarioScore:
    detected: list[tuple[FaultKind, bool]]  # per movement / sensor fault: found?
    verdicts: list[tuple[AlertKind, bool]]  # per alert: explained by a label?
    clean: list[tuple[FaultKind, bool]]  # per must-not-alert fault: no alert in window?


def score_scenario(scenario: Scenario, alerts: list[Alert]) -> ScenarioScore:
    """Recall per labelled fault, a verdict per alert, and for the faults that must raise
    nothing: whether any alert *not explained by another label* falls in their window."""
    verdicts = []
    for alert in alerts:
        ok = any(alert.kind in lb.expected
                 and alert.overlaps(lb.start - SLACK, lb.end + SLACK)
                 for lb in scenario.labels)
        verdicts.append((alert.kind, ok))
    unexplained = [a for a, (_, ok) in zip(alerts, verdicts, strict=True) if not ok]
    detected, clean = [], []
    for label in scenario.labels:
        lo, hi = label.start - SLACK, label.end + SLACK
        if label.expected:
            primary = label.expected[0]
            detected.append((label.kind, any(a.kind is primary and a.overlaps(lo, hi)
                                             for a in alerts)))
        else:
            clean.append((label.kind, not any(a.overlaps(label.start, label.end)
                                              for a in unexplained)))
    return ScenarioScore(detected, verdicts, clean)


def inbound_items(scenario: Scenario, deliveries: Sequence[Delivery] | None = None,
                  source: Source = Source.MQTT) -> list[Inbound]:
    """A scenario's deliveries as an intake adapter hands them to the service: telemetry
    from the trip's device, officers' commands and evaluation ticks naming the trip."""
    trip = scenario.trip
    items = []
    for d in scenario.deliveries if deliveries is None else deliveries:
        if d.kind in (RecordKind.TELEMETRY_JSON, RecordKind.TELEMETRY_EPCIS):
            items.append(Inbound(source, d.kind, d.payload, d.received_at,
                                 device_id=trip.device_id))
        else:
            by = Source.OFFICER if d.kind is RecordKind.COMMAND else Source.CLOCK
            items.append(Inbound(by, d.kind, d.payload, d.received_at,
                                 trip_ref=trip.reference))
    return items
