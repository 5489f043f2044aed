"""Transit service: the one place where payloads, commands and ticks meet the monitors.

``TransitService`` holds a ``TripMonitor`` per active trip, rebuilt at start from the raw
log (``load``). Intake adapters (MQTT, HTTPS upload) hand it batches through ``ingest``
(it is their ``Sink``): the batch is committed to ``transit_raw`` first, then evaluated,
then the trips' alerts are brought in line in a second transaction (``alert_store.sync``,
which also repairs the table after a crash between the two). Listeners (the console's
WebSocket) get each change after its commit.

One lock serialises evaluation: the monitors are not thread-safe, and on two cores the
GIL would serialise them anyway. The CLI, HTTP API and console call these methods.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.db import unit_of_work, utcnow
from smartcustoms.errors import Conflict
from smartcustoms.identity import Permission, Principal
from smartcustoms.transit import alert_store, registry
from smartcustoms.transit.alert_store import AlertView, Change
from smartcustoms.transit.alerts import Alert, ResolutionReason
from smartcustoms.transit.corridors import Corridor, CorridorGeometry
from smartcustoms.transit.engine import NullRawLog, RawRecord, RecordKind, TripMonitor
from smartcustoms.transit.events import CommandKind, SealCommand, TelemetryEvent
from smartcustoms.transit.evidence import build_evidence_pack
from smartcustoms.transit.evidence_pdf import evidence_pdf
from smartcustoms.transit.inbound import Inbound, Source
from smartcustoms.transit.rawfile import write_raw_records
from smartcustoms.transit.rules import check_duplicate_seal_use
from smartcustoms.transit.tables import TransitRawRow, TransitTripRow
from smartcustoms.transit.trips import Trip, load_trip

log = logging.getLogger(__name__)

Listener = Callable[[Sequence[Change]], None]


@dataclass(slots=True)
class BatchReport:
    """What became of one intake batch (the HTTPS upload returns it to the device)."""

    records: int = 0
    routed: int = 0
    unrouted: int = 0  # no active trip for the device: stored, not evaluated
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    corrected: int = 0
    late: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    changes: int = 0
    first_position: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class TrackPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    t: dt.datetime
    lat: float
    lon: float
    speed_kmh: float | None = None
    seal: str | None = None
    off_corridor_m: float | None = None


class TripState(BaseModel):
    """A trip as its monitor sees it now: for the console's map and timeline."""

    trip: Trip
    corridor: Corridor
    status: str
    seal_state: str
    as_of: dt.datetime | None
    progress: float
    counters: dict[str, int]
    refusals: list[str]
    quarantined: list[str]
    track: list[TrackPoint]


class CommandReport(BaseModel):
    trip_ref: str
    command: SealCommand
    position: int
    seal_state: str
    refused: list[str]
    changes: int


class TransitService:
    def __init__(self, sessions: sessionmaker[Session],
                 clock: Callable[[], dt.datetime] = utcnow, *,
                 max_lateness: dt.timedelta = dt.timedelta(minutes=2),
                 on_devices_changed: Callable[[list[tuple[str, str]]], None] | None = None
                 ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._max_lateness = max_lateness
        self._lock = threading.RLock()
        self._monitors: dict[str, TripMonitor] = {}
        self._by_device: dict[str, str] = {}
        self._stored: dict[str, dict[str, Alert]] = {}  # active alerts in the table
        self._geometries: dict[str, CorridorGeometry] = {}
        self._listeners: list[Listener] = []
        self.on_devices_changed = on_devices_changed
        self.loaded = False

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self._sessions

    # -- listeners -------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self, changes: Sequence[Change]) -> None:
        if not changes:
            return
        for listener in list(self._listeners):
            try:
                listener(changes)
            except Exception:  # a broken listener must not stop intake; the log says why
                log.exception("transit listener failed")

    # -- start -----------------------------------------------------------------------

    def load(self) -> int:
        """Rebuild every active trip from its raw log and repair its stored alerts;
        returns the number of records replayed."""
        replayed = 0
        with self._lock, unit_of_work(self._sessions) as session:
            registry.ensure_sample_corridors(session, self._clock())
            self._monitors.clear()
            self._by_device.clear()
            self._stored.clear()
            for row in registry.active_trips(session):
                monitor = self._new_monitor(session, load_trip(row.spec))
                records = _raw_records(session, row.reference)
                monitor.process_stored_many(records)  # one evaluation at the end
                replayed += len(records)
                self._attach(monitor, alert_store.active_alerts(session, row.reference))
        changes = self._sync(list(self._monitors))
        self.loaded = True
        self._notify(changes)
        return replayed

    def _ensure_loaded(self) -> None:
        if not self.loaded:
            self.load()

    def _new_monitor(self, session: Session, trip: Trip) -> TripMonitor:
        geometry = self._geometries.get(trip.corridor_id)
        if geometry is None:
            geometry = CorridorGeometry(registry.get_corridor(session, trip.corridor_id))
            self._geometries[trip.corridor_id] = geometry
        return TripMonitor(trip, geometry, max_lateness=self._max_lateness, log=NullRawLog())

    def _attach(self, monitor: TripMonitor, stored: dict[str, Alert]) -> None:
        ref = monitor.trip.reference
        self._monitors[ref] = monitor
        self._by_device[monitor.trip.device_id] = ref
        self._stored[ref] = stored

    def _sync(self, refs: Sequence[str]) -> list[Change]:
        """Bring the stored alerts of these trips in line with their monitors."""
        current = {ref: {a.alert_id: a for a in self._monitors[ref].alerts
                         if a.kind not in alert_store.CROSS_TRIP_KINDS} for ref in refs}
        changed = [ref for ref in refs if current[ref] != self._stored[ref]]
        if not changed:  # the usual case: no transaction at all
            return []
        now = self._clock()
        with unit_of_work(self._sessions) as session:
            changes: list[Change] = []
            for ref in changed:
                changes += alert_store.sync(session, ref, self._stored[ref],
                                            current[ref].values(), now)
        for ref in changed:  # committed: the cache follows
            self._stored[ref] = current[ref]
        return changes

    # -- intake ----------------------------------------------------------------------

    def ingest(self, batch: Sequence[Inbound]) -> BatchReport:
        """Store the batch in the raw log (committed before this returns), then evaluate."""
        report = BatchReport(records=len(batch))
        if not batch:
            return report
        with self._lock:
            self._ensure_loaded()
            refs = [self._route(item) for item in batch]
            positions = self._append(batch, refs)
            report.first_position = positions[0]
            by_trip: dict[str, list[RawRecord]] = {}
            for item, ref, position in zip(batch, refs, positions, strict=True):
                if ref is None:
                    report.unrouted += 1
                    continue
                by_trip.setdefault(ref, []).append(
                    RawRecord(position, item.received_at, item.kind, item.payload))
            for ref, records in by_trip.items():
                report.routed += len(records)
                result = self._monitors[ref].process_stored_many(records)
                report.accepted += result.accepted
                report.duplicates += result.duplicates
                report.quarantined += len(result.quarantined)
                report.corrected += result.corrected
                report.late += result.late
                report.rejected += result.rejected
                report.errors.extend(result.errors)
            touched = list(by_trip)
            changes = self._sync(touched)
            report.changes = len(changes)
        self._notify(changes)
        return report

    def _route(self, item: Inbound) -> str | None:
        if item.trip_ref is not None:
            return item.trip_ref if item.trip_ref in self._monitors else None
        return self._by_device.get(item.device_id or "")

    def _append(self, batch: Sequence[Inbound], refs: Sequence[str | None]) -> list[int]:
        """Insert the batch into the raw log and commit; returns the rows' positions."""
        rows = [{"received_at": item.received_at, "source": item.source.value,
                 "kind": item.kind.value, "device_id": item.device_id, "trip_ref": ref,
                 "payload": item.payload} for item, ref in zip(batch, refs, strict=True)]
        table = TransitRawRow.__table__
        with unit_of_work(self._sessions) as session:
            conn = session.connection()
            if conn.dialect.name != "sqlite":
                return list(conn.execute(table.insert().returning(
                    table.c.id, sort_by_parameter_order=True), rows).scalars())
            # SQLite would run RETURNING row by row (it cannot keep a multi-row insert's
            # order); one executemany is several times faster. Its ids are consecutive:
            # the transaction holds the only write lock from the first row on, and the
            # table is append-only, so each new rowid is the previous one plus one.
            conn.execute(table.insert(), rows)
            last = conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
        return list(range(last - len(rows) + 1, last + 1))

    def tick(self, now: dt.datetime | None = None) -> list[Change]:
        """Evaluate every active trip as of ``now``: silence and overdue need a clock."""
        now = now or self._clock()
        with self._lock:
            self._ensure_loaded()
            for monitor in self._monitors.values():
                monitor.tick(now)
            changes = self._sync(list(self._monitors))
        self._notify(changes)
        return changes

    # -- trips -----------------------------------------------------------------------

    def register_trip(self, actor: Principal, data: object) -> registry.TripInfo:
        now = self._clock()
        with self._lock:
            self._ensure_loaded()
            with unit_of_work(self._sessions) as session:
                trip, _ = registry.insert_trip(session, actor, data, now)
                others = registry.trips_sharing_seals(session, trip.seal_ids)
                duplicate = [a for a in check_duplicate_seal_use([*others, trip])
                             if a.trip_ref == trip.reference]
                changes = alert_store.store_cross_trip(session, duplicate, now)
                monitor = self._new_monitor(session, trip)
                info = registry.trip_info(registry.trip_row(session, trip.reference))
            self._attach(monitor, {})
        self._notify(changes)
        return info

    def close_trip(self, actor: Principal, reference: str) -> registry.TripInfo:
        now = self._clock()
        with self._lock:
            self._ensure_loaded()
            with unit_of_work(self._sessions) as session:
                row = registry.mark_trip_closed(session, actor, reference, now)
                info = registry.trip_info(row)
            monitor = self._monitors.pop(reference, None)
            if monitor is not None:
                self._by_device.pop(monitor.trip.device_id, None)
                self._stored.pop(reference, None)
        return info

    def command(self, actor: Principal, reference: str, kind: CommandKind, *,
                seal_id: str | None = None, office: str | None = None) -> CommandReport:
        """An officer's seal command, stored in the raw log like any report, then applied."""
        actor.require(Permission.command_seals)
        now = self._clock()
        with self._lock:
            self._ensure_loaded()
            monitor = self._monitors.get(reference)
            if monitor is None:
                raise Conflict(f"trip {reference} is not an active trip", field="reference",
                               value=reference)
            command = SealCommand(command_id=f"CMD-{uuid.uuid4().hex[:20]}", kind=kind,
                                  officer_id=actor.username,
                                  seal_id=seal_id or monitor.trip.seal_ids[0],
                                  issued_at=now, office=office)
            item = Inbound(Source.OFFICER, RecordKind.COMMAND,
                           command.model_dump_json().encode(), now, trip_ref=reference)
            position = self._append([item], [reference])[0]
            before = len(monitor.refusals)
            monitor.process_stored(RawRecord(position, now, RecordKind.COMMAND, item.payload))
            refused = list(monitor.refusals[before:])
            changes = self._sync([reference])
        self._notify(changes)
        return CommandReport(trip_ref=reference, command=command, position=position,
                             seal_state=monitor.seal.state.value, refused=refused,
                             changes=len(changes))

    # -- reading ---------------------------------------------------------------------

    def trip_state(self, actor: Principal, reference: str, *, max_points: int = 2000
                   ) -> TripState:
        actor.require(Permission.read_transit)
        with self._lock:
            self._ensure_loaded()
            with unit_of_work(self._sessions) as session:
                row = registry.trip_row(session, reference)
                monitor = self._monitor_for(session, row)
            return TripState(
                trip=monitor.trip, corridor=monitor.geometry.corridor, status=row.status,
                seal_state=monitor.seal.state.value, as_of=monitor.as_of_datetime(),
                progress=round(monitor.progress, 5), counters=asdict(monitor.counters),
                refusals=list(monitor.refusals),
                quarantined=[f"{q.event.device_time.isoformat()}: {q.reason}"
                             for q in monitor.quarantine],
                track=_track(monitor, max_points),
            )

    def _monitor_for(self, session: Session, row: TransitTripRow) -> TripMonitor:
        """The live monitor of an active trip, or a closed trip rebuilt from its log."""
        live = self._monitors.get(row.reference)
        if live is not None:
            return live
        monitor = self._new_monitor(session, load_trip(row.spec))
        monitor.process_stored_many(_raw_records(session, row.reference))
        return monitor

    def evidence(self, actor: Principal, alert_id: str) -> dict[str, Any]:
        """The alert's evidence pack: track, events, rule and thresholds (JSON-ready)."""
        actor.require(Permission.read_transit)
        with self._lock:
            self._ensure_loaded()
            with unit_of_work(self._sessions) as session:
                view = alert_store.get_alert(session, actor, alert_id)
                row = registry.trip_row(session, view.alert.trip_ref)
                monitor = self._monitor_for(session, row)
            pack = build_evidence_pack(view.alert, monitor.trip, monitor.geometry.corridor,
                                       monitor.observations())
        pack["case"] = {"status": view.case_status.value, "assignee": view.assignee,
                        "reason": view.reason.value if view.reason else None,
                        "engine_state": view.engine_state, "history": view.history}
        return pack

    def evidence_pdf(self, actor: Principal, alert_id: str) -> bytes:
        """The evidence pack as a PDF (with a map of the track and the SHA-256 of the
        JSON pack it renders)."""
        pack = self.evidence(actor, alert_id)
        with self._sessions() as session:
            corridor = registry.get_corridor(session, pack["corridor"]["corridor_id"])
        return evidence_pdf(pack, corridor)

    def raw_export(self, actor: Principal, reference: str) -> bytes:
        """The trip's raw log as envelope lines: ``transit replay`` reads them back."""
        actor.require(Permission.read_transit)
        with self._sessions() as session:
            registry.trip_row(session, reference)
            records = _raw_records(session, reference)
        return "".join(write_raw_records(records, trip=reference)).encode()

    def trip_events(self, actor: Principal, reference: str
                    ) -> tuple[Trip, list[TelemetryEvent]]:
        """The trip and its accepted events in device-time order (EPCIS export)."""
        monitor = self._monitor(actor, reference)
        with self._lock:
            return monitor.trip, monitor.events()

    def trip_commands(self, actor: Principal, reference: str) -> list[SealCommand]:
        """The officers' seal commands of the trip, in time order (its timeline)."""
        monitor = self._monitor(actor, reference)
        with self._lock:
            return [o.command for o in monitor.observations() if o.command is not None]

    def _monitor(self, actor: Principal, reference: str) -> TripMonitor:
        actor.require(Permission.read_transit)
        with self._lock:
            self._ensure_loaded()
            with unit_of_work(self._sessions) as session:
                return self._monitor_for(session, registry.trip_row(session, reference))

    # -- the officer's case ----------------------------------------------------------

    def step_case(self, actor: Principal, alert_id: str, action: str, *,
                  assignee: str | None = None, reason: ResolutionReason | None = None,
                  note: str = "") -> AlertView:
        with unit_of_work(self._sessions) as session:
            change = alert_store.step_case(session, actor, alert_id, action, self._clock(),
                                           assignee=assignee, reason=reason, note=note)
        self._notify([change])
        return change.alert

    # -- devices (the broker's password file follows) --------------------------------

    def register_device(self, actor: Principal, device_id: str, description: str = ""
                        ) -> registry.DeviceSecret:
        with unit_of_work(self._sessions) as session:
            secret = registry.register_device(session, actor, device_id, self._clock(),
                                              description)
        self._devices_changed()
        return secret

    def rotate_device_secret(self, actor: Principal, device_id: str) -> registry.DeviceSecret:
        with unit_of_work(self._sessions) as session:
            secret = registry.rotate_device_secret(session, actor, device_id, self._clock())
        self._devices_changed()
        return secret

    def set_device_status(self, actor: Principal, device_id: str, active: bool
                          ) -> registry.DeviceInfo:
        with unit_of_work(self._sessions) as session:
            info = registry.set_device_status(session, actor, device_id, active, self._clock())
        self._devices_changed()
        return info

    def _devices_changed(self) -> None:
        if self.on_devices_changed is None:
            return
        with unit_of_work(self._sessions) as session:
            credentials = registry.device_credentials(session)
        self.on_devices_changed(credentials)


def _raw_records(session: Session, reference: str) -> list[RawRecord]:
    rows = session.execute(
        select(TransitRawRow.id, TransitRawRow.received_at, TransitRawRow.kind,
               TransitRawRow.payload)
        .where(TransitRawRow.trip_ref == reference).order_by(TransitRawRow.id))
    return [RawRecord(i, at, RecordKind(kind), bytes(payload)) for i, at, kind, payload in rows]


def _track(monitor: TripMonitor, max_points: int) -> list[TrackPoint]:
    fixes = [o for o in monitor.observations()
             if o.event is not None and o.event.lat is not None and o.event.lon is not None]
    if len(fixes) > max_points:  # thin evenly, keep the last fix
        step = len(fixes) / max_points
        fixes = [fixes[int(i * step)] for i in range(max_points - 1)] + [fixes[-1]]
    points = []
    for o in fixes:
        e = o.event
        assert e is not None and e.lat is not None and e.lon is not None
        points.append(TrackPoint(t=o.at, lat=e.lat, lon=e.lon, speed_kmh=e.speed_kmh,
                                 seal=e.seal_status.value if e.seal_status else None,
                                 off_corridor_m=round(o.loc.distance_m, 1) if o.loc else None))
    return points
