"""The evaluation engine: late events, duplicates, backfill, clock faults, replay."""

from __future__ import annotations

import random
from datetime import timedelta

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.transit.alerts import AlertKind
from smartcustoms.transit.clock import GPS_WEEK_ROLLOVER
from smartcustoms.transit.corridors import CorridorGeometry
from smartcustoms.transit.engine import RecordKind, TripMonitor
from smartcustoms.transit.events import ClockFlag, TelemetryEvent
from smartcustoms.transit.evidence import build_evidence_pack, evidence_json

from .conftest import CORRIDOR, DEVICE, T0, drive, feed, halt, make_event, make_trip, payload


class TestLateEvents:
    def test_late_event_retracts_a_stop_alert(self, monitor: TripMonitor) -> None:
        feed(monitor, drive(0, 10, 0) + halt(10, 50, 10) + drive(60, 3, 10))
        [stop] = monitor.alerts
        assert stop.kind is AlertKind.UNSCHEDULED_STOP
        # A report buffered by the device shows the truck moving in the middle of it.
        late = make_event(35.5, 12.0, speed=55.0)
        result = monitor.receive(payload(late), RecordKind.TELEMETRY_JSON,
                                 T0 + timedelta(minutes=70))
        assert result.late == 1 and monitor.counters.refolds == 1
        assert result.diff.retracted == (stop,)
        assert monitor.alerts == []

    def test_late_event_reissues_with_a_corrected_start(self, monitor: TripMonitor) -> None:
        feed(monitor, drive(0, 10, 0) + halt(10, 70, 10) + drive(80, 3, 10))
        [stop] = monitor.alerts
        late = make_event(20.5, 12.0, speed=55.0)
        result = monitor.receive(payload(late), RecordKind.TELEMETRY_JSON,
                                 T0 + timedelta(minutes=90))
        [reissue] = result.diff.reissued
        assert reissue.old == stop
        assert reissue.new.opened_at == T0 + timedelta(minutes=21)

    def test_reversed_backfill_after_a_coverage_gap(self, monitor: TripMonitor) -> None:
        before, gap, after = drive(0, 10, 0), drive(10, 30, 10), drive(40, 10, 40)
        feed(monitor, before)
        raised = [a for m in (25, 30, 35) for a in
                  monitor.tick(T0 + timedelta(minutes=m)).raised]
        assert [a.kind for a in raised] == [AlertKind.SILENT_DEVICE]
        back = T0 + timedelta(minutes=40, seconds=5)
        retracted = []
        for i, event in enumerate(reversed(gap)):  # the device empties its buffer newest-first
            r = monitor.receive(payload(event), RecordKind.TELEMETRY_JSON,
                                back + timedelta(milliseconds=10 * i))
            retracted += r.diff.retracted
        feed(monitor, after)
        assert [a.kind for a in retracted] == [AlertKind.SILENT_DEVICE]
        assert monitor.alerts == []
        assert monitor.counters.late > 0
        assert len(monitor.events()) == 50


class TestDuplicates:
    def test_counted_not_double_processed(self, monitor: TripMonitor) -> None:
        events = drive(0, 10, 0) + halt(10, 40, 10)
        feed(monitor, events)
        alerts = monitor.alerts
        results = feed(monitor, events, delay=timedelta(seconds=50))
        assert all(r.duplicates == 1 and r.accepted == 0 and r.diff.empty for r in results)
        assert monitor.counters.duplicates == len(events)
        assert monitor.counters.accepted == len(events)
        assert monitor.alerts == alerts and len(monitor.events()) == len(events)

    def test_same_sequence_with_other_content_keeps_the_first(self, monitor: TripMonitor) -> None:
        first = make_event(0, 1.0, seq=5)
        feed(monitor, [first, make_event(0, 30.0, seq=5)])
        assert monitor.events() == [first] and monitor.counters.duplicates == 1

    def test_devices_without_sequence_dedup_by_content(self, monitor: TripMonitor) -> None:
        no_seq = [e.model_copy(update={"device_seq": None}) for e in drive(0, 5, 0)]
        feed(monitor, no_seq + no_seq)
        assert monitor.counters.duplicates == 5 and len(monitor.events()) == 5


class TestClockFaults:
    def test_clock_skew_is_quarantined(self, monitor: TripMonitor) -> None:
        feed(monitor, drive(0, 5, 0))
        skewed = make_event(5, 5).model_copy(
            update={"device_time": T0 + timedelta(days=3, minutes=5)})
        result = monitor.receive(payload(skewed), RecordKind.TELEMETRY_JSON,
                                 T0 + timedelta(minutes=5, seconds=10))
        assert result.accepted == 0 and "ahead of the receive time" in result.quarantined[0]
        assert monitor.counters.quarantined == 1
        assert monitor.quarantine[0].event == skewed
        assert len(monitor.log) == 6  # stored all the same
        assert skewed not in monitor.events()

    def test_gps_week_rollover_is_corrected_with_a_flag(self, monitor: TripMonitor) -> None:
        true = make_event(0, 1.0)
        rolled = true.model_copy(update={"device_time": true.device_time - GPS_WEEK_ROLLOVER,
                                         "fix_time": true.fix_time - GPS_WEEK_ROLLOVER})
        result = monitor.receive(payload(rolled), RecordKind.TELEMETRY_JSON,
                                 T0 + timedelta(seconds=10))
        assert result.corrected == 1
        [event] = monitor.events()
        assert event.device_time == true.device_time
        assert ClockFlag.DEVICE_TIME_GPS_WEEK_ROLLOVER in event.clock_flags
        assert event.original_device_time == rolled.device_time

    def test_other_devices_are_rejected(self, monitor: TripMonitor) -> None:
        stranger = make_event(0, 1.0).model_copy(update={"device_id": "OTHER-9"})
        [result] = feed(monitor, [stranger])
        assert "is not the device of trip" in result.errors[0]
        assert monitor.counters.rejected == 1 and monitor.events() == []


def _scripted() -> list[TelemetryEvent]:
    """A trip with a stop and a deviation: the alerts depend on every event's place."""
    return (drive(0, 10, 0) + halt(10, 35, 10) + drive(45, 6, 10)
            + drive(51, 8, 16, offset=lambda i: 1000) + drive(59, 6, 24))


def _run(geometry: CorridorGeometry, order: list[tuple[float, TelemetryEvent]]) -> TripMonitor:
    monitor = TripMonitor(make_trip(), geometry)
    for received_s, event in sorted(order, key=lambda x: x[0]):
        monitor.receive(payload(event), RecordKind.TELEMETRY_JSON,
                        T0 + timedelta(seconds=received_s))
    monitor.tick(T0 + timedelta(minutes=70))
    return monitor


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_permutations_within_the_watermark_give_the_same_alerts(rng: random.Random) -> None:
    geometry = CorridorGeometry(CORRIDOR)
    events = _scripted()
    base = _run(geometry, [((e.device_time - T0).total_seconds() + 5, e) for e in events])
    # Every arrival delayed by up to 100 s, less than the 2 minutes of lateness allowed.
    jittered = [((e.device_time - T0).total_seconds() + rng.uniform(0, 100), e) for e in events]
    other = _run(geometry, jittered)
    assert other.alerts == base.alerts and len(base.alerts) == 2
    assert other.counters.late == 0


@settings(max_examples=15, deadline=None)
@given(st.permutations(list(range(len(_scripted())))))
def test_any_arrival_order_gives_the_same_final_alerts(order: list[int]) -> None:
    geometry = CorridorGeometry(CORRIDOR)
    events = _scripted()
    # All received after the trip (store-and-forward), in any order.
    later = 2 * 3600.0
    base = _run(geometry, [(later + i, e) for i, e in enumerate(events)])
    shuffled = _run(geometry, [(later + rank, events[i]) for rank, i in enumerate(order)])
    assert shuffled.alerts == base.alerts


def test_replay_from_the_raw_log_is_identical(geometry: CorridorGeometry) -> None:
    monitor = TripMonitor(make_trip(), geometry)
    events = _scripted()
    feed(monitor, events[:20] + events[30:] + events[20:30][::-1])  # with a late backfill
    feed(monitor, events[:5])  # duplicates
    monitor.tick(T0 + timedelta(hours=3))
    replayed = TripMonitor.replay(make_trip(), geometry, monitor.log)
    assert replayed.alerts == monitor.alerts and monitor.alerts
    assert replayed.counters == monitor.counters
    obs = monitor.observations()
    for alert in monitor.alerts:
        a = evidence_json(build_evidence_pack(alert, monitor.trip, CORRIDOR, obs))
        b = evidence_json(build_evidence_pack(alert, replayed.trip, CORRIDOR,
                                              replayed.observations()))
        assert a == b


def test_evidence_pack_of_a_deviation(geometry: CorridorGeometry) -> None:
    monitor = TripMonitor(make_trip(), geometry)
    feed(monitor, drive(0, 10, 0) + drive(10, 10, 10, offset=lambda i: 1500) + drive(20, 10, 20))
    [alert] = monitor.alerts
    pack = orjson.loads(evidence_json(
        build_evidence_pack(alert, monitor.trip, CORRIDOR, monitor.observations())))
    assert pack["rule"] == {"name": "route-deviation", "thresholds": alert.thresholds}
    assert pack["alert"]["alert_id"] == alert.alert_id
    assert len(pack["events"]) == 11 and pack["events"][0]["device_id"] == DEVICE
    outside = [p for p in pack["track"] if p["distance_from_centreline_m"] > 500]
    assert len(outside) == 10
    assert pack["corridor"]["synthetic"] is True
