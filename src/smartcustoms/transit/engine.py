"""Per-trip evaluation on device time: raw log, dedup, clock check, reorder, fold.

Every payload is appended to the raw log before anything else, so the trip can always be
rebuilt from it (``TripMonitor.replay``). Then: decode; drop duplicates, counted (by
device and sequence number when the device numbers its reports, else by content hash);
check the clock (quarantine or correct with a flag); place the event on the timeline.

The alert set is a pure function of the accepted observations and the evaluation time:
the rules fold over the observations sorted by (device time, rank, sequence, hash) and
then ``finish`` at ``as_of``. So any arrival order of the same events gives the same
alerts, and a replay of the raw log gives the identical set.

To make that cheap, observations up to the watermark (latest device time minus
``max_lateness``) are *committed*: folded once, with a snapshot of the fold state every
``snapshot_every`` observations. Newer ones wait in a reorder buffer and are folded on
top of a copy for each evaluation. An observation older than the last committed one is
late: it is inserted and the fold is redone from the nearest snapshot before it, and the
new alert set is diffed against the published one (raised / retracted / re-issued /
updated).
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from smartcustoms.transit.alerts import Alert, AlertDiff, diff_alerts
from smartcustoms.transit.clock import ClockOutcome, ClockPolicy, check_clock
from smartcustoms.transit.corridors import CorridorGeometry
from smartcustoms.transit.decode import decode_command, decode_epcis, decode_json
from smartcustoms.transit.errors import EventInvalid
from smartcustoms.transit.events import SealCommand, TelemetryEvent
from smartcustoms.transit.rules import (
    Context,
    FoldState,
    Obs,
    Rule,
    Thresholds,
    build_rules,
    observe_command,
    observe_event,
    thresholds_for,
)
from smartcustoms.transit.seals import Seal
from smartcustoms.transit.trips import Trip

# --- the raw log --------------------------------------------------------------------


class RecordKind(StrEnum):
    TELEMETRY_JSON = "telemetry/json"
    TELEMETRY_EPCIS = "telemetry/epcis"
    COMMAND = "command"
    TICK = "tick"


@dataclass(frozen=True, slots=True)
class RawRecord:
    position: int
    received_at: datetime
    kind: RecordKind
    payload: bytes


class RawLog(Protocol):
    """Append-only store of everything received; SQL implementation comes with storage."""

    def append(self, kind: RecordKind, payload: bytes, received_at: datetime) -> RawRecord: ...

    def __iter__(self) -> Iterator[RawRecord]: ...

    def __len__(self) -> int: ...


class MemoryRawLog:
    """In-memory raw log (tests, benchmarks): no update, no delete."""

    def __init__(self) -> None:
        self._records: list[RawRecord] = []

    def append(self, kind: RecordKind, payload: bytes, received_at: datetime) -> RawRecord:
        record = RawRecord(len(self._records), received_at, kind, bytes(payload))
        self._records.append(record)
        return record

    def __iter__(self) -> Iterator[RawRecord]:
        return iter(tuple(self._records))

    def __len__(self) -> int:
        return len(self._records)


class NullRawLog:
    """For a monitor whose records are stored elsewhere (the service's SQL raw log):
    counts them, keeps nothing."""

    def __init__(self) -> None:
        self._count = 0

    def append(self, kind: RecordKind, payload: bytes, received_at: datetime) -> RawRecord:
        self._count += 1
        return RawRecord(self._count - 1, received_at, kind, b"")

    def __iter__(self) -> Iterator[RawRecord]:
        return iter(())

    def __len__(self) -> int:
        return self._count


# --- counters and results -----------------------------------------------------------


@dataclass(slots=True)
class Counters:
    records: int = 0
    rejected: int = 0
    events: int = 0
    accepted: int = 0
    duplicates: int = 0
    seq_conflicts: int = 0
    quarantined: int = 0
    corrected: int = 0
    late: int = 0
    refolds: int = 0
    refolded_observations: int = 0
    commands: int = 0
    ticks: int = 0


@dataclass(frozen=True, slots=True)
class Quarantined:
    position: int
    event: TelemetryEvent
    reason: str


@dataclass(frozen=True, slots=True)
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    quarantined: tuple[str, ...] = ()
    corrected: int = 0
    late: int = 0
    errors: tuple[str, ...] = ()
    rejected: int = 0  # records refused whole (not decodable, another device's)
    diff: AlertDiff = field(default_factory=AlertDiff)


@dataclass(slots=True)
class _Tally:
    accepted: int = 0
    duplicates: int = 0
    corrected: int = 0
    late: int = 0
    rejected: int = 0
    quarantined: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


# --- the monitor --------------------------------------------------------------------


class TripMonitor:
    """Evaluates one trip; feed it payloads in arrival order, read alerts and diffs."""

    def __init__(
        self,
        trip: Trip,
        geometry: CorridorGeometry,
        *,
        thresholds: Thresholds | None = None,
        clock_policy: ClockPolicy = ClockPolicy(),
        max_lateness: timedelta = timedelta(minutes=2),
        snapshot_every: int = 64,
        log: RawLog | None = None,
    ) -> None:
        if geometry.corridor.corridor_id != trip.corridor_id:
            raise EventInvalid(
                f"trip {trip.reference} runs on corridor {trip.corridor_id}, "
                f"not {geometry.corridor.corridor_id}",
                field="corridor_id",
                value=geometry.corridor.corridor_id,
            )
        self.trip = trip
        self.geometry = geometry
        self.thresholds = thresholds or thresholds_for(
            trip.risk, Thresholds(**geometry.corridor.thresholds))
        self.clock_policy = clock_policy
        self.max_lateness_s = max_lateness.total_seconds()
        self.snapshot_every = snapshot_every
        self.log: RawLog = log if log is not None else MemoryRawLog()
        self.counters = Counters()
        self.quarantine: list[Quarantined] = []
        self._ctx = Context(trip, geometry, self.thresholds)
        self._rules: list[Rule] = build_rules(self._ctx)
        initial = FoldState(Seal(trip.seal_ids[0]), [r.initial() for r in self._rules], {})
        self._history: list[Obs] = []
        self._keys: list[tuple[float, int, int, str]] = []
        self._state = initial
        self._snapshots: list[tuple[int, FoldState]] = [(0, initial.clone())]
        self._buffer: list[tuple[tuple[float, int, int, str], Obs]] = []
        self._buffer_max: tuple[float, int, int, str] | None = None
        self._provisional: FoldState | None = initial.clone()
        self._max_t = float("-inf")
        self._tick_t = float("-inf")
        self._seen_seq: set[tuple[str, int]] = set()
        self._seen_hash: set[str] = set()
        self._seen_commands: set[str] = set()
        self._published: dict[str, Alert] = {}
        self._current: FoldState = initial.clone()

    # -- intake ----------------------------------------------------------------------

    def receive(self, payload: bytes, kind: RecordKind, received_at: datetime) -> IngestResult:
        """Store the payload in the raw log, then process it."""
        record = self.log.append(kind, payload, received_at)
        return self._process(record)

    def receive_command(self, command: SealCommand, received_at: datetime) -> IngestResult:
        return self.receive(command.model_dump_json().encode(), RecordKind.COMMAND, received_at)

    def tick(self, now: datetime) -> AlertDiff:
        """Evaluate as of ``now`` (the service's clock): silence and overdue need it."""
        record = self.log.append(RecordKind.TICK, now.isoformat().encode(), now)
        return self._process(record).diff

    @classmethod
    def replay(
        cls, trip: Trip, geometry: CorridorGeometry, records: Iterable[RawRecord], **kwargs: object
    ) -> TripMonitor:
        """Rebuild a trip's state from its raw log, record by record."""
        monitor = cls(trip, geometry, **kwargs)  # type: ignore[arg-type]
        for record in records:
            monitor.log.append(record.kind, record.payload, record.received_at)
            monitor._process(record)
        return monitor

    def process_stored(self, record: RawRecord) -> IngestResult:
        """Process a record its caller has already stored durably (not appended here)."""
        return self.process_stored_many((record,))

    def process_stored_many(self, records: Iterable[RawRecord]) -> IngestResult:
        """Process stored records in order and publish once: the alert set after the
        batch is the same as record by record (it depends only on the observations and
        the evaluation time); an episode raised and withdrawn inside it is never shown."""
        tally = _Tally()
        for record in records:
            before = len(tally.errors)
            self._apply(record, tally)
            for i in range(before, len(tally.errors)):
                tally.errors[i] = f"record {record.position}: {tally.errors[i]}"
        return self._result(tally)

    def _process(self, record: RawRecord) -> IngestResult:
        tally = _Tally()
        self._apply(record, tally)
        return self._result(tally)

    def _apply(self, record: RawRecord, tally: _Tally) -> None:
        self.counters.records += 1
        try:
            if record.kind is RecordKind.TICK:
                self.counters.ticks += 1
                self._tick_t = max(self._tick_t, record.received_at.timestamp())
            elif record.kind is RecordKind.COMMAND:
                self._accept_command(decode_command(record.payload), tally)
            else:
                decode = decode_json if record.kind is RecordKind.TELEMETRY_JSON else decode_epcis
                for event in decode(record.payload):
                    self._accept_event(event, record, tally)
        except EventInvalid as exc:
            self.counters.rejected += 1
            tally.rejected += 1
            tally.errors.append(exc.detail)

    def _result(self, tally: _Tally) -> IngestResult:
        return IngestResult(
            accepted=tally.accepted,
            duplicates=tally.duplicates,
            quarantined=tuple(tally.quarantined),
            corrected=tally.corrected,
            late=tally.late,
            errors=tuple(tally.errors),
            rejected=tally.rejected,
            diff=self._publish(),
        )

    def _accept_command(self, command: SealCommand, tally: _Tally) -> None:
        self.counters.commands += 1
        if command.command_id in self._seen_commands:
            self.counters.duplicates += 1
            tally.duplicates += 1
            return
        self._seen_commands.add(command.command_id)
        self._place(observe_command(command), tally)

    def _accept_event(self, event: TelemetryEvent, record: RawRecord, tally: _Tally) -> None:
        self.counters.events += 1
        if event.device_id != self.trip.device_id:
            raise EventInvalid(
                f"device_id {event.device_id} is not the device of trip {self.trip.reference} "
                f"({self.trip.device_id})",
                field="device_id",
                value=event.device_id,
            )
        # Dedup before the clock check, so a resent bad event is a duplicate, not news.
        digest = ""
        if event.device_seq is None:
            digest = event.content_hash()
            if digest in self._seen_hash:
                self.counters.duplicates += 1
                tally.duplicates += 1
                return
            self._seen_hash.add(digest)
        else:
            key = (event.device_id, event.device_seq)
            if key in self._seen_seq:
                # Same number: a resend, or a conflicting report; the first one stands.
                self.counters.duplicates += 1
                tally.duplicates += 1
                return
            self._seen_seq.add(key)
        verdict = check_clock(event, record.received_at, self.clock_policy)
        if verdict.outcome is ClockOutcome.QUARANTINED:
            self.counters.quarantined += 1
            reason = verdict.reason or "clock fault"
            self.quarantine.append(Quarantined(record.position, event, reason))
            tally.quarantined.append(reason)
            return
        if verdict.outcome is ClockOutcome.CORRECTED:
            self.counters.corrected += 1
            tally.corrected += 1
        self.counters.accepted += 1
        tally.accepted += 1
        self._place(observe_event(verdict.event, digest, self.geometry, self.thresholds), tally)

    # -- the timeline ----------------------------------------------------------------

    def _place(self, o: Obs, tally: _Tally) -> None:
        if o.event is not None and o.t > self._max_t:
            self._max_t = o.t
        if self._keys and o.key < self._keys[-1]:
            self.counters.late += 1
            tally.late += 1
            self._insert_late(o)
        else:
            heapq.heappush(self._buffer, (o.key, o))
            if self._provisional is not None and (
                self._buffer_max is None or o.key >= self._buffer_max
            ):
                self._step(self._provisional, o)  # in order: extend the provisional fold
            else:
                self._provisional = None
            if self._buffer_max is None or o.key > self._buffer_max:
                self._buffer_max = o.key
        self._release()

    def _release(self) -> None:
        watermark = self._max_t - self.max_lateness_s
        while self._buffer and self._buffer[0][0][0] <= watermark:
            key, o = heapq.heappop(self._buffer)
            self._history.append(o)
            self._keys.append(key)
            self._step(self._state, o)
            self._maybe_snapshot()
        if not self._buffer:
            self._buffer_max = None

    def _maybe_snapshot(self) -> None:
        n = len(self._history)
        if n - self._snapshots[-1][0] >= self.snapshot_every:
            self._snapshots.append((n, self._state.clone()))

    def _insert_late(self, o: Obs) -> None:
        pos = bisect.bisect_right(self._keys, o.key)
        self._history.insert(pos, o)
        self._keys.insert(pos, o.key)
        while self._snapshots[-1][0] > pos:
            self._snapshots.pop()
        start, snapshot = self._snapshots[-1]
        state = snapshot.clone()
        self.counters.refolds += 1
        for i in range(start, len(self._history)):
            self._step(state, self._history[i])
            n = i + 1
            if n - self._snapshots[-1][0] >= self.snapshot_every:
                self._snapshots.append((n, state.clone()))
        self.counters.refolded_observations += len(self._history) - start
        self._state = state
        self._provisional = None

    def _step(self, fs: FoldState, o: Obs) -> None:
        loc = o.loc
        if loc is not None:
            fs.last_loc = loc
            if loc.progress > fs.max_progress:
                fs.max_progress = loc.progress
        for rule, st in zip(self._rules, fs.rules, strict=True):
            rule.step(st, o, fs)

    # -- evaluation ------------------------------------------------------------------

    @property
    def as_of(self) -> float:
        return max(self._tick_t, self._max_t)

    def _evaluate(self) -> FoldState:
        if self._provisional is None:
            prov = self._state.clone()
            for _, o in sorted(self._buffer, key=lambda item: item[0]):
                self._step(prov, o)
            self._provisional = prov
        fs = self._provisional.for_finish()
        as_of = self.as_of
        if as_of > float("-inf"):
            for rule, st in zip(self._rules, fs.rules, strict=True):
                rule.finish(st, as_of, fs)
        return fs

    def _publish(self) -> AlertDiff:
        self._current = self._evaluate()
        new = self._current.alerts
        diff = diff_alerts(self._published, new)
        self._published = new
        return diff

    # -- reading -----------------------------------------------------------------------

    @property
    def alerts(self) -> list[Alert]:
        return sorted(self._published.values(), key=lambda a: (a.opened_at, a.kind, a.alert_id))

    @property
    def seal(self) -> Seal:
        return self._current.seal

    @property
    def progress(self) -> float:
        """Furthest share of the corridor reached (0 at departure, 1 at destination)."""
        return self._current.max_progress

    @property
    def refusals(self) -> tuple[str, ...]:
        return self._current.refusals

    def observations(self) -> list[Obs]:
        """Every accepted observation in evaluation order (committed and buffered)."""
        return self._history + [o for _, o in sorted(self._buffer, key=lambda item: item[0])]

    def events(self) -> list[TelemetryEvent]:
        return [o.event for o in self.observations() if o.event is not None]

    def as_of_datetime(self) -> datetime | None:
        return datetime.fromtimestamp(self.as_of, UTC) if self.as_of > float("-inf") else None
