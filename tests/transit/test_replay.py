"""Offline replay of a raw-log file: routing by envelope, device and seal; records of no
trip and bad lines counted, never fatal; the same file, the same alerts; a scenario file
gives each scenario's own alerts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import orjson
import pytest

from smartcustoms.transit.corridors import CorridorGeometry
from smartcustoms.transit.engine import RawRecord, RecordKind, TripMonitor
from smartcustoms.transit.errors import CorridorInvalid, TripInvalid
from smartcustoms.transit.events import TelemetryEvent
from smartcustoms.transit.rawfile import envelope_line, write_raw_records
from smartcustoms.transit.replay import (
    alerts_digest,
    load_trips_document,
    reason_class,
    replay_file,
    scenario_labels,
    scenario_records,
)
from smartcustoms.transit.scenario import FaultKind, Scenario, generate_scenario

from .conftest import CORRIDOR, DEVICE, T0, command, drive, make_trip, payload

OTHER = make_trip(reference="25KE000000000002X9", device_id="ESEAL-OTHER", seal_ids=("S-2",))


def _event_line(event: TelemetryEvent, delay: float = 10.0) -> str:
    record = RawRecord(0, event.device_time + timedelta(seconds=delay),
                       RecordKind.TELEMETRY_JSON, payload(event))
    return envelope_line(record)


def _command_line(kind: str, minute: float) -> str:
    cmd = command(kind, minute)
    return envelope_line(RawRecord(0, cmd.issued_at + timedelta(seconds=1), RecordKind.COMMAND,
                                   cmd.model_dump_json().encode()))


def test_records_go_to_their_trip_by_device_seal_or_envelope() -> None:
    trip = make_trip()
    lines = [_command_line("assign", 0), _command_line("arm", 1)]
    lines += [_event_line(e) for e in drive(2, 30, 0.0)]
    tick = T0 + timedelta(hours=1)
    lines.append(envelope_line(RawRecord(0, tick, RecordKind.TICK, b""), trip=OTHER.reference))
    result = replay_file(lines, [trip, OTHER], [CORRIDOR])
    mine = result.monitors[trip.reference].counters
    assert (mine.commands, mine.accepted, mine.ticks) == (2, 30, 0)
    other = result.monitors[OTHER.reference].counters
    assert (other.records, other.ticks) == (1, 1)
    assert result.unrouted_count == result.bad_line_count == 0
    assert result.records == result.lines == len(lines)


def test_a_tick_without_a_trip_goes_to_every_trip() -> None:
    line = orjson.dumps({"received_at": T0.isoformat(), "kind": "tick"}).decode()
    result = replay_file([line], [make_trip(), OTHER], [CORRIDOR])
    assert [m.counters.ticks for m in result.monitors.values()] == [1, 1]


def test_unrouted_and_bad_lines_are_counted_and_the_rest_replays() -> None:
    [good] = drive(0, 1, 1.0)
    stranger = good.model_copy(update={"device_id": "ESEAL-NOBODY"})
    bad_event = {"device_id": DEVICE, "device_time": T0.isoformat(), "lat": 95.0, "lon": 1.0}
    lines = [
        _event_line(stranger),
        "{broken",
        orjson.dumps({"received_at": T0.isoformat(), "kind": "telemetry/json",
                      "payload": bad_event}).decode(),
        orjson.dumps({"received_at": T0.isoformat(), "kind": "tick",
                      "trip": "25XX000000000000X0"}).decode(),
        orjson.dumps({"received_at": T0.isoformat(), "kind": "command",
                      "payload": {"kind": "arm"}}).decode(),
        _event_line(good),
    ]
    result = replay_file(lines, [make_trip()], [CORRIDOR])
    assert result.monitors[make_trip().reference].counters.accepted == 1
    assert [(u.line_no, u.reason) for u in result.unrouted] == [
        (1, "device ESEAL-NOBODY belongs to no trip"),
        (4, "trip 25XX000000000000X0 is not in the trips file")]
    bad = {b.line_no: b for b in result.bad_lines}
    assert sorted(bad) == [2, 3, 5] and result.bad_line_count == 3
    assert "lat" in bad[3].detail and "95" in bad[3].detail  # rejected by the engine
    assert bad[5].field == "command_id"  # undecodable: no seal to route by
    summary = result.summary()
    assert summary["unrouted"]["count"] == 2 and summary["bad_lines"]["count"] == 3
    assert summary["bad_lines"]["first"][0]["line"] == 2


def test_as_of_evaluates_every_trip_at_the_end() -> None:
    lines = [_event_line(e) for e in drive(0, 10, 0.0)]
    quiet = replay_file(lines, [make_trip()], [CORRIDOR])
    later = replay_file(lines, [make_trip()], [CORRIDOR], as_of=T0 + timedelta(hours=3))
    assert "silent_device" not in {a.kind.value for a in quiet.alerts}
    assert "silent_device" in {a.kind.value for a in later.alerts}


def test_the_trips_document_is_checked_with_field_paths() -> None:
    good = make_trip().model_dump(mode="json")
    trips, corridors = load_trips_document({"trips": [good], "corridors": [
        CORRIDOR.model_dump(mode="json")]})
    assert trips == [make_trip()] and corridors == [CORRIDOR]
    assert load_trips_document([good])[0] == [make_trip()]
    with pytest.raises(TripInvalid) as caught:
        load_trips_document([good, {**good, "container_id": "MSCU1234567"}])
    assert caught.value.errors[0].field.startswith("trips[1]")
    with pytest.raises(TripInvalid, match=r"trips\[1\].reference"):
        load_trips_document([good, good])
    with pytest.raises(TripInvalid, match="trips"):
        load_trips_document({"trips": {}})
    with pytest.raises(CorridorInvalid, match=r"corridors\[0\]"):
        load_trips_document({"trips": [good], "corridors": [{"name": "x"}]})
    with pytest.raises(TripInvalid, match=r"trips\[0\].corridor_id"):
        replay_file([], [make_trip()])  # TEST is no sample corridor


def test_quarantine_reasons_are_counted_without_their_times() -> None:
    assert reason_class("device_time 2025-03-09T00:00:00+00:00 is 6 days, 0:00:00 ahead of "
                        "the receive time 2025-03-03T00:00:00+00:00; at most …") == \
        "device_time ahead of the receive time"


def _scenarios() -> list[Scenario]:
    return [generate_scenario(3), generate_scenario(
        4, faults=(FaultKind.CLOCK_SKEW, FaultKind.DETOUR, FaultKind.DUPLICATES))]


def _alone(scenario: Scenario) -> TripMonitor:
    monitor = TripMonitor(scenario.trip, CorridorGeometry(scenario.corridor))
    for d in scenario.deliveries:
        monitor.receive(d.payload, d.kind, d.received_at)
    return monitor


def _file(scenarios: list[Scenario]) -> Iterator[str]:
    return write_raw_records(scenario_records(scenarios))


def test_a_scenario_file_gives_each_scenarios_own_alerts_and_counters() -> None:
    scenarios = _scenarios()
    alone = [_alone(s) for s in scenarios]
    result = replay_file(_file(scenarios), [s.trip for s in scenarios])
    expected = [a for m in alone for a in m.alerts]
    assert expected and result.alerts_digest == alerts_digest(expected)
    for scenario, monitor in zip(scenarios, alone, strict=True):
        replayed = result.monitors[scenario.trip.reference]
        assert replayed.alerts == monitor.alerts
        assert replayed.counters == monitor.counters
    assert result.records == sum(len(s.deliveries) for s in scenarios)
    assert result.monitors[scenarios[1].trip.reference].counters.quarantined > 0


def test_the_same_file_twice_gives_the_same_digest() -> None:
    scenarios = _scenarios()
    lines = list(_file(scenarios))
    trips = [s.trip for s in scenarios]
    first, second = replay_file(lines, trips), replay_file(iter(lines), trips)
    assert first.alerts_digest == second.alerts_digest
    assert first.summary() == second.summary()


def test_labels_name_faults_and_expected_alert_kinds() -> None:
    [entry] = scenario_labels([generate_scenario(4, faults=(FaultKind.TAMPER,))])["scenarios"]
    assert entry["expected_alert_kinds"] == ["seal_tamper"]
    assert entry["faults"][0]["kind"] == "tamper" and entry["trip"].startswith("25")
