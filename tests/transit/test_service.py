"""The transit service on a real database (SQLite and PostgreSQL): raw log, routing,
alerts kept in line with the monitors, rebuild after a restart, cases, commands.

Strategy: a labelled scenario from the generator is registered (device, trip) and fed
through ``ingest`` in batches, as the MQTT intake would; a bare ``TripMonitor`` fed the
same deliveries is the oracle for the alert set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.errors import Conflict, PermissionDenied
from smartcustoms.identity import SYSTEM, Principal, Role
from smartcustoms.transit.alert_store import Change
from smartcustoms.transit.alerts import AlertKind, CaseStatus, ResolutionReason
from smartcustoms.transit.corridors import CorridorGeometry
from smartcustoms.transit.engine import RecordKind, TripMonitor
from smartcustoms.transit.errors import AlertTransitionRefused
from smartcustoms.transit.events import CommandKind
from smartcustoms.transit.inbound import Inbound, Source
from smartcustoms.transit.scenario import FaultKind, Scenario, generate_scenario, inbound_items
from smartcustoms.transit.service import TransitService
from smartcustoms.transit.tables import TransitAlertRow, TransitRawRow

OFFICER = Principal(user_id=2, username="officer.ade", role=Role.officer)
TRADER = Principal(user_id=3, username="trader.bo", role=Role.trader)


def _scenario_with(kind: FaultKind, start: int = 0) -> Scenario:
    """The first seeded scenario that carries a fault of this kind."""
    for seed in range(start, start + 200):
        scenario = generate_scenario(seed)
        if any(label.kind is kind for label in scenario.labels):
            return scenario
    raise AssertionError(f"no scenario with {kind}")


def _oracle(scenario: Scenario) -> TripMonitor:
    monitor = TripMonitor(scenario.trip, CorridorGeometry(scenario.corridor))
    for d in scenario.deliveries:
        monitor.receive(d.payload, d.kind, d.received_at)
    return monitor


def _register(service: TransitService, scenario: Scenario) -> None:
    service.register_device(SYSTEM, scenario.trip.device_id, "test tracker")
    service.register_trip(SYSTEM, scenario.trip.model_dump(mode="json"))


def _feed(service: TransitService, items: Sequence[Inbound], size: int = 50) -> int:
    accepted = 0
    for i in range(0, len(items), size):
        accepted += service.ingest(items[i:i + size]).accepted
    return accepted


def _stored_active(session: Session, ref: str) -> set[str]:
    return set(session.scalars(select(TransitAlertRow.alert_id).where(
        TransitAlertRow.trip_ref == ref, TransitAlertRow.engine_state == "active")))


@pytest.fixture
def service(sessions: sessionmaker[Session], clock: object) -> TransitService:
    svc = TransitService(sessions, clock)  # type: ignore[arg-type]
    svc.load()
    return svc


def test_ingest_stores_every_payload_and_alerts_match_the_monitor(
        service: TransitService, sessions: sessionmaker[Session]) -> None:
    scenario = _scenario_with(FaultKind.TAMPER)
    _register(service, scenario)
    items = inbound_items(scenario)
    _feed(service, items)
    oracle = _oracle(scenario)
    ref = scenario.trip.reference
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(TransitRawRow)) == len(items)
        payloads = s.scalars(select(TransitRawRow.payload).order_by(TransitRawRow.id)).all()
        assert [bytes(p) for p in payloads] == [i.payload for i in items]  # as received
        assert _stored_active(s, ref) == {a.alert_id for a in oracle.alerts}
    assert AlertKind.SEAL_TAMPER in {a.kind for a in oracle.alerts}


def test_restart_rebuilds_the_same_state_from_the_raw_log(
        service: TransitService, sessions: sessionmaker[Session], clock: object) -> None:
    scenario = _scenario_with(FaultKind.DETOUR)
    _register(service, scenario)
    _feed(service, inbound_items(scenario))
    ref = scenario.trip.reference
    before = {a.alert_id: a for a in service._monitors[ref].alerts}

    restarted = TransitService(sessions, clock)  # type: ignore[arg-type]
    seen: list[Change] = []
    restarted.subscribe(seen.extend)
    replayed = restarted.load()
    assert replayed == len(scenario.deliveries)
    assert {a.alert_id: a for a in restarted._monitors[ref].alerts} == before
    assert seen == []  # the table already matched: nothing to repair
    state = restarted.trip_state(OFFICER, ref)
    assert state.counters["accepted"] == service.trip_state(OFFICER, ref).counters["accepted"]


def test_load_repairs_alerts_lost_between_the_two_commits(
        service: TransitService, sessions: sessionmaker[Session], clock: object,
        engine: Engine) -> None:
    """A crash after the raw log committed but before the alerts did: the restart
    raises what was missing."""
    scenario = _scenario_with(FaultKind.LONG_STOP)
    _register(service, scenario)
    _feed(service, inbound_items(scenario))
    ref = scenario.trip.reference
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM transit_alerts WHERE trip_ref = :r"), {"r": ref})
    restarted = TransitService(sessions, clock)  # type: ignore[arg-type]
    seen: list[Change] = []
    restarted.subscribe(seen.extend)
    restarted.load()
    expected = {a.alert_id for a in _oracle(scenario).alerts}
    assert {c.alert.alert.alert_id for c in seen if c.change == "raised"} == expected
    with sessions() as s:
        assert _stored_active(s, ref) == expected


def test_duplicates_resent_across_batches_are_counted_not_stored_twice_as_events(
        service: TransitService) -> None:
    scenario = generate_scenario(11)
    _register(service, scenario)
    items = inbound_items(scenario)
    first = _feed(service, items, size=97)
    again = service.ingest([i for i in items if i.kind is RecordKind.TELEMETRY_JSON])
    assert again.accepted == 0
    assert again.duplicates >= again.records - again.rejected
    assert first == service.trip_state(OFFICER, scenario.trip.reference).counters["accepted"]


def test_payloads_of_unknown_devices_are_kept_but_not_evaluated(
        service: TransitService, sessions: sessionmaker[Session]) -> None:
    scenario = generate_scenario(5)
    items = [i for i in inbound_items(scenario) if i.device_id][:10]  # no trip registered
    report = service.ingest(items)
    assert (report.unrouted, report.routed, report.accepted) == (10, 0, 0)
    with sessions() as s:
        rows = s.scalars(select(TransitRawRow)).all()
        assert len(rows) == 10 and all(r.trip_ref is None for r in rows)


def test_a_device_cannot_report_for_another_trip(service: TransitService) -> None:
    a, b = generate_scenario(21), generate_scenario(22)
    _register(service, a)
    _register(service, b)
    spoof = next(i for i in inbound_items(b) if i.kind is RecordKind.TELEMETRY_JSON)
    report = service.ingest([Inbound(Source.MQTT, spoof.kind, spoof.payload, spoof.received_at,
                                     device_id=a.trip.device_id)])
    assert report.rejected == 1 and report.accepted == 0
    assert "device_id" in report.errors[0]


def test_raw_log_refuses_updates_and_deletes(service: TransitService, engine: Engine) -> None:
    scenario = generate_scenario(3)
    service.ingest(inbound_items(scenario)[:3])
    for statement in ("UPDATE transit_raw SET source = 'x'", "DELETE FROM transit_raw"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))


def test_registration_checks_device_corridor_and_duplicate_seals(
        service: TransitService, sessions: sessionmaker[Session]) -> None:
    scenario = generate_scenario(31)
    spec = scenario.trip.model_dump(mode="json")
    with pytest.raises(Conflict, match="not a registered active device"):
        service.register_trip(SYSTEM, spec)
    service.register_device(SYSTEM, scenario.trip.device_id)
    with pytest.raises(PermissionDenied):
        service.register_trip(OFFICER, spec)
    service.register_trip(SYSTEM, spec)
    with pytest.raises(Conflict, match="already registered"):
        service.register_trip(SYSTEM, spec)
    # Another trip on another device carrying the same seal while the first is under way.
    service.register_device(SYSTEM, "TRK-OTHER-1")
    other = dict(spec, reference=spec["reference"][:-1] + ("Z" if spec["reference"][-1] != "Z"
                                                           else "Y"),
                 device_id="TRK-OTHER-1")
    service.register_trip(SYSTEM, other)
    with sessions() as s:
        kinds = s.scalars(select(TransitAlertRow.kind).where(
            TransitAlertRow.trip_ref == other["reference"])).all()
    assert kinds == [AlertKind.DUPLICATE_SEAL_USE.value]


def test_case_lifecycle_and_evidence(service: TransitService) -> None:
    scenario = _scenario_with(FaultKind.TAMPER)
    _register(service, scenario)
    _feed(service, inbound_items(scenario))
    from smartcustoms.transit.alert_store import list_alerts
    with service._sessions() as s:
        queue = list_alerts(s, OFFICER, trip_ref=scenario.trip.reference, open_only=True)
    tamper = next(v for v in queue if v.alert.kind is AlertKind.SEAL_TAMPER)
    with pytest.raises(AlertTransitionRefused, match="acknowledge it before"):
        service.step_case(OFFICER, tamper.alert.alert_id, "resolve",
                          reason=ResolutionReason.CONFIRMED_INFRINGEMENT)
    with pytest.raises(PermissionDenied):
        service.step_case(TRADER, tamper.alert.alert_id, "acknowledge")
    service.step_case(OFFICER, tamper.alert.alert_id, "acknowledge")
    service.step_case(OFFICER, tamper.alert.alert_id, "assign", assignee="officer.kim")
    done = service.step_case(OFFICER, tamper.alert.alert_id, "resolve",
                             reason=ResolutionReason.CONFIRMED_INFRINGEMENT, note="seal cut")
    assert done.case_status is CaseStatus.RESOLVED and done.assignee == "officer.kim"
    assert [h["status"] for h in done.history] == ["open", "acknowledged", "assigned",
                                                   "resolved"]
    pack = service.evidence(OFFICER, tamper.alert.alert_id)
    assert pack["alert"]["kind"] == "seal_tamper" and pack["events"]
    assert pack["case"]["status"] == "resolved"


def test_officer_commands_go_through_the_raw_log(
        service: TransitService, sessions: sessionmaker[Session]) -> None:
    scenario = generate_scenario(41)
    trip = scenario.trip
    service.register_device(SYSTEM, trip.device_id)
    service.register_trip(SYSTEM, trip.model_dump(mode="json"))
    report = service.command(OFFICER, trip.reference, CommandKind.ASSIGN)
    assert report.seal_state == "assigned" and report.refused == []
    refused = service.command(OFFICER, trip.reference, CommandKind.DISARM)
    assert refused.refused and refused.seal_state == "assigned"
    with pytest.raises(PermissionDenied):
        service.command(TRADER, trip.reference, CommandKind.ARM)
    with sessions() as s:
        sources = s.scalars(select(TransitRawRow.source)).all()
    assert sources == ["officer", "officer"]


def test_closed_trip_frees_its_device_and_is_rebuilt_on_demand(
        service: TransitService) -> None:
    scenario = generate_scenario(51)
    _register(service, scenario)
    _feed(service, inbound_items(scenario))
    ref = scenario.trip.reference
    live = service.trip_state(OFFICER, ref)
    service.close_trip(SYSTEM, ref)
    after = service.trip_state(OFFICER, ref)
    assert after.status == "closed" and after.counters == live.counters
    assert after.track == live.track
    report = service.ingest(inbound_items(scenario)[:1])
    assert report.unrouted == 1


def test_tick_raises_silence_without_new_reports(
        service: TransitService, clock: object) -> None:
    scenario = generate_scenario(61)
    _register(service, scenario)
    telemetry = [i for i in inbound_items(scenario) if i.device_id][:20]
    service.ingest(telemetry)
    last = max(i.received_at for i in telemetry)
    changes = service.tick(last + dt.timedelta(hours=3))
    assert AlertKind.SILENT_DEVICE in {c.alert.alert.kind for c in changes}


def test_positions_reported_are_the_raw_log_ids(service: TransitService,
                                                sessions: sessionmaker[Session]) -> None:
    scenario = generate_scenario(71)
    items = inbound_items(scenario)
    first = service.ingest(items[:5]).first_position
    second = service.ingest(items[5:12]).first_position
    with sessions() as s:
        ids = s.scalars(select(TransitRawRow.id).order_by(TransitRawRow.id)).all()
    assert len(ids) == 12 and ids[0] == first and ids[5] == second
    assert ids == list(range(ids[0], ids[0] + 12))
