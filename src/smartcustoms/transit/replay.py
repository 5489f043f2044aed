"""Offline replay of a raw-log file over a set of trips: one ``TripMonitor`` per trip.

Shared by ``smartcustoms transit replay`` / ``export-epcis`` and, later, the service (to
re-evaluate an uploaded or exported log). Each record goes to one trip: the one its
envelope names; else telemetry by device id, commands by seal id (a device or seal
reused on successive trips goes to the latest trip already departed, allowing
``PRE_DEPARTURE`` of reports before departure); a tick without a trip goes to every
trip. Records of no trip are counted, not fatal, and so are bad lines (with the engine's
explanation). Records reach each monitor in file order, so the alerts are those the
live service would have raised from the same arrivals, and two replays of one file give
the same ``alerts_digest``.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from smartcustoms.errors import FieldError
from smartcustoms.transit._sample_corridors import SAMPLE_CORRIDORS
from smartcustoms.transit.alerts import Alert
from smartcustoms.transit.corridors import Corridor, CorridorGeometry, load_corridor
from smartcustoms.transit.decode import decode_command, decode_epcis, decode_json
from smartcustoms.transit.engine import IngestResult, RawRecord, RecordKind, TripMonitor
from smartcustoms.transit.errors import CorridorInvalid, EventInvalid, TripInvalid
from smartcustoms.transit.rawfile import FileRecord, LineError, error_from, read_raw_records
from smartcustoms.transit.scenario import Scenario
from smartcustoms.transit.trips import Trip, load_trip

PRE_DEPARTURE = timedelta(hours=6)
MAX_REPORTED = 100  # bad lines and unrouted records kept for the report; all are counted


# --- the trips document -------------------------------------------------------------


def _prefixed(exc: TripInvalid | CorridorInvalid, prefix: str) -> list[FieldError]:
    return [FieldError(f"{prefix}.{e.field}", e.message, e.value) for e in exc.errors]


def load_trips_document(data: object) -> tuple[list[Trip], list[Corridor]]:
    """TRIPS.json: an array of trips, or ``{"trips": [...], "corridors": [...]}``."""
    if isinstance(data, dict):
        unknown = sorted(set(data) - {"trips", "corridors"})
        if unknown:
            raise TripInvalid(f"{unknown[0]}: not a key of the trips document; expected "
                              "trips and corridors", field=unknown[0], value=None)
        raw_trips, raw_corridors = data.get("trips"), data.get("corridors", [])
    else:
        raw_trips, raw_corridors = data, []
    if not isinstance(raw_trips, list):
        raise TripInvalid("trips: must be a JSON array of trips (or an object with one)",
                          field="trips", value=type(raw_trips).__name__)
    if not isinstance(raw_corridors, list):
        raise CorridorInvalid("corridors: must be a JSON array of corridors",
                              field="corridors", value=type(raw_corridors).__name__)
    trips = [_trip(i, t) for i, t in enumerate(raw_trips)]
    corridors = load_corridor_list(raw_corridors, "corridors")
    _unique_references(trips)
    return trips, corridors


def _trip(i: int, raw: object) -> Trip:
    try:
        return load_trip(raw)
    except TripInvalid as exc:
        errors = _prefixed(exc, f"trips[{i}]")
        raise TripInvalid("; ".join(str(e) for e in errors), errors=errors) from None


def _unique_references(trips: Sequence[Trip]) -> None:
    seen: set[str] = set()
    for i, trip in enumerate(trips):
        if trip.reference in seen:
            raise TripInvalid(f"trips[{i}].reference: {trip.reference} is listed twice",
                              field=f"trips[{i}].reference", value=trip.reference)
        seen.add(trip.reference)


def load_corridor_list(data: object, source: str) -> list[Corridor]:
    """One corridor (object) or several (array); errors name ``source`` and the index."""
    items = data if isinstance(data, list) else [data]
    corridors = []
    for i, raw in enumerate(items):
        where = f"{source}[{i}]" if isinstance(data, list) else source
        try:
            corridors.append(load_corridor(raw))
        except CorridorInvalid as exc:
            errors = _prefixed(exc, where)
            raise CorridorInvalid("; ".join(str(e) for e in errors), errors=errors) from None
    return corridors


def corridor_library(extra: Iterable[Corridor]) -> dict[str, Corridor]:
    """The sample corridors, replaced or extended by the given ones (by id)."""
    library = {c.corridor_id: c for c in SAMPLE_CORRIDORS}
    given: dict[str, Corridor] = {}
    for corridor in extra:
        known = given.get(corridor.corridor_id)
        if known is not None and known != corridor:
            raise CorridorInvalid(f"corridor {corridor.corridor_id} is given twice, "
                                  "differently", field="corridor_id", value=corridor.corridor_id)
        given[corridor.corridor_id] = corridor
    return library | given


# --- routing ------------------------------------------------------------------------


class _FileIsTheLog:
    """A raw log that keeps nothing: replaying, the file already is the raw log, and
    holding every payload again would double the memory of a long replay."""

    def __init__(self) -> None:
        self._count = 0

    def append(self, kind: RecordKind, payload: bytes, received_at: datetime) -> RawRecord:
        self._count += 1
        return RawRecord(self._count - 1, received_at, kind, payload)

    def __iter__(self) -> Iterator[RawRecord]:
        return iter(())

    def __len__(self) -> int:
        return self._count


class _Router:
    """Finds the trip of a record; builds one monitor per trip, sharing geometries."""

    def __init__(self, trips: Sequence[Trip], corridors: Mapping[str, Corridor]) -> None:
        geometries: dict[str, CorridorGeometry] = {}
        self.monitors: dict[str, TripMonitor] = {}
        self.by_device: dict[str, list[Trip]] = {}
        self.by_seal: dict[str, list[Trip]] = {}
        for i, trip in enumerate(trips):
            corridor = corridors.get(trip.corridor_id)
            if corridor is None:
                raise TripInvalid(
                    f"trips[{i}].corridor_id: {trip.corridor_id} is neither a sample "
                    f"corridor nor given; known: {', '.join(sorted(corridors))}",
                    field=f"trips[{i}].corridor_id", value=trip.corridor_id)
            if trip.corridor_id not in geometries:
                geometries[trip.corridor_id] = CorridorGeometry(corridor)
        for trip in sorted(trips, key=lambda t: t.departure_at):
            self.monitors[trip.reference] = TripMonitor(
                trip, geometries[trip.corridor_id], log=_FileIsTheLog())
            self.by_device.setdefault(trip.device_id, []).append(trip)
            for seal in trip.seal_ids:
                self.by_seal.setdefault(seal, []).append(trip)

    def route(self, record: FileRecord) -> list[TripMonitor] | str:
        """The monitors for the record, or why none (raises EventInvalid if undecodable)."""
        if record.trip is not None:
            monitor = self.monitors.get(record.trip)
            return [monitor] if monitor else f"trip {record.trip} is not in the trips file"
        if record.kind is RecordKind.TICK:
            return list(self.monitors.values())
        what, key = _route_key(record)
        index = self.by_device if what == "device" else self.by_seal
        candidates = index.get(key)
        if not candidates:
            return f"{what} {key} belongs to no trip"
        return [self.monitors[_pick(candidates, record.received_at).reference]]


def _pick(candidates: list[Trip], at: datetime) -> Trip:
    """The latest trip already departed (or about to), else the first one."""
    started = [t for t in candidates if t.departure_at <= at + PRE_DEPARTURE]
    return started[-1] if started else candidates[0]


def _route_key(record: RawRecord) -> tuple[str, str]:
    """("device", id) or ("seal", id): read cheaply, else by decoding (which explains)."""
    key = _peek(record)
    if key is not None:
        return key
    if record.kind is RecordKind.COMMAND:
        return "seal", decode_command(record.payload).seal_id
    decode = decode_json if record.kind is RecordKind.TELEMETRY_JSON else decode_epcis
    events = decode(record.payload)
    if not events:
        raise EventInvalid("the payload carries no event", field="(payload)", value=None)
    return "device", events[0].device_id


def _peek(record: RawRecord) -> tuple[str, str] | None:
    try:
        doc = orjson.loads(record.payload)
    except orjson.JSONDecodeError:
        return None
    if record.kind is RecordKind.COMMAND:
        value = doc.get("seal_id") if isinstance(doc, dict) else None
        return ("seal", value) if isinstance(value, str) else None
    if record.kind is RecordKind.TELEMETRY_JSON:
        first = doc[0] if isinstance(doc, list) and doc else doc
        value = first.get("device_id") if isinstance(first, dict) else None
        return ("device", value) if isinstance(value, str) else None
    value = _epcis_device(doc)
    return ("device", value) if value else None


def _epcis_device(doc: object) -> str | None:
    if not isinstance(doc, dict):
        return None
    body = doc.get("epcisBody")
    events = body.get("eventList") if isinstance(body, dict) else [doc]
    first = events[0] if isinstance(events, list) and events else None
    elements = first.get("sensorElementList") if isinstance(first, dict) else None
    for element in elements if isinstance(elements, list) else []:
        meta = element.get("sensorMetadata") if isinstance(element, dict) else None
        device = meta.get("deviceID") if isinstance(meta, dict) else None
        if isinstance(device, str):
            return device
    return None


# --- the result ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unrouted:
    line_no: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line_no, "reason": self.reason}


_CLOCK_REASON = re.compile(r"^(\w+) .* (ahead of|behind) the receive time")


def reason_class(reason: str) -> str:
    """A quarantine reason without its times, so reasons can be counted."""
    match = _CLOCK_REASON.match(reason)
    return f"{match[1]} {match[2]} the receive time" if match else reason


@dataclass(slots=True)
class ReplayResult:
    """Monitors per trip (by MRN), with what could not be read or routed."""

    monitors: dict[str, TripMonitor]
    lines: int = 0
    records: int = 0
    bad_line_count: int = 0
    bad_lines: list[LineError] = field(default_factory=list)
    unrouted_count: int = 0
    unrouted: list[Unrouted] = field(default_factory=list)

    def bad(self, error: LineError) -> None:
        self.bad_line_count += 1
        if len(self.bad_lines) < MAX_REPORTED:
            self.bad_lines.append(error)

    def not_routed(self, item: Unrouted) -> None:
        self.unrouted_count += 1
        if len(self.unrouted) < MAX_REPORTED:
            self.unrouted.append(item)

    @property
    def alerts(self) -> list[Alert]:
        """Every trip's alerts, by trip then as each monitor orders them."""
        return [a for ref in sorted(self.monitors) for a in self.monitors[ref].alerts]

    @property
    def alerts_digest(self) -> str:
        return alerts_digest(self.alerts)

    def trip_counters(self, reference: str) -> dict[str, Any]:
        monitor = self.monitors[reference]
        counters: dict[str, Any] = asdict(monitor.counters)
        counters["quarantine_reasons"] = dict(sorted(Counter(
            reason_class(q.reason) for q in monitor.quarantine).items()))
        counters["alerts"] = len(monitor.alerts)
        return counters

    def summary(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "records": self.records,
            "trips": {ref: self.trip_counters(ref) for ref in sorted(self.monitors)},
            "unrouted": {"count": self.unrouted_count,
                         "first": [u.as_dict() for u in self.unrouted]},
            "bad_lines": {"count": self.bad_line_count,
                          "first": [b.as_dict() for b in self.bad_lines]},
            "alerts": len(self.alerts),
            "alerts_sha256": self.alerts_digest,
        }


def alerts_digest(alerts: Iterable[Alert]) -> str:
    """SHA-256 of the alert set in canonical form (sorted by trip and id, sorted keys)."""
    ordered = sorted(alerts, key=lambda a: (a.trip_ref, a.alert_id))
    body = orjson.dumps([a.model_dump(mode="json") for a in ordered],
                        option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


# --- the replay ---------------------------------------------------------------------


def replay_file(
    lines: Iterable[str | bytes],
    trips: Sequence[Trip],
    corridors: Iterable[Corridor] = (),
    *,
    as_of: datetime | None = None,
) -> ReplayResult:
    """Feed every record of ``lines`` (streamed) to its trip's monitor, in file order;
    then, with ``as_of``, evaluate every trip at that time. ``corridors`` extend (or
    replace, by id) the sample corridors."""
    router = _Router(trips, corridor_library(corridors))
    result = ReplayResult(router.monitors)
    for line_no, item in read_raw_records(_counted(lines, result)):
        if isinstance(item, LineError):
            result.bad(item)
            continue
        result.records += 1
        _dispatch(router, result, line_no, item)
    if as_of is not None:
        for monitor in router.monitors.values():
            monitor.tick(as_of)
    return result


def _counted(lines: Iterable[str | bytes], result: ReplayResult) -> Iterable[str | bytes]:
    for line in lines:
        result.lines += 1
        yield line


def _dispatch(router: _Router, result: ReplayResult, line_no: int, record: FileRecord) -> None:
    try:
        target = router.route(record)
    except EventInvalid as exc:
        result.bad(error_from(line_no, exc))
        return
    if isinstance(target, str):
        result.not_routed(Unrouted(line_no, target))
        return
    for monitor in target:
        outcome = monitor.receive(record.payload, record.kind, record.received_at)
        _note_rejections(result, line_no, monitor, outcome)


def _note_rejections(
    result: ReplayResult, line_no: int, monitor: TripMonitor, outcome: IngestResult
) -> None:
    for detail in outcome.errors:
        result.bad(LineError(line_no, f"trip {monitor.trip.reference}: {detail}"))


# --- scenario files -----------------------------------------------------------------


def scenario_records(scenarios: Sequence[Scenario]) -> Iterator[FileRecord]:
    """All deliveries of the scenarios merged in receive order (each scenario's own order
    kept on ties), ticks naming their trip: replaying them gives each scenario's alerts."""
    streams = [
        [FileRecord(0, d.received_at, d.kind, d.payload,
                    s.trip.reference if d.kind is RecordKind.TICK else None)
         for d in s.deliveries]
        for s in scenarios
    ]
    for position, record in enumerate(heapq.merge(*streams, key=lambda r: r.received_at)):
        yield FileRecord(position, record.received_at, record.kind, record.payload, record.trip)


def scenario_labels(scenarios: Sequence[Scenario]) -> dict[str, Any]:
    """Ground truth per trip: the faults injected and the alert kinds they should raise."""
    return {"scenarios": [_labels(s) for s in scenarios]}


def _labels(scenario: Scenario) -> dict[str, Any]:
    expected = sorted({k.value for label in scenario.labels for k in label.expected})
    return {
        "trip": scenario.trip.reference,
        "scenario_id": scenario.scenario_id,
        "seed": scenario.seed,
        "corridor_id": scenario.corridor.corridor_id,
        "events_generated": scenario.events_generated,
        "expected_alert_kinds": expected,
        "faults": [
            {"kind": label.kind.value, "start": label.start.isoformat(),
             "end": label.end.isoformat(), "expected": [k.value for k in label.expected],
             "count": label.count}
            for label in scenario.labels
        ],
    }
