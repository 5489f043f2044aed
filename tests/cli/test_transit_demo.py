"""The transit part of the demo: finished trips with their alerts, an evidence pack, and a
live trip that leaves its corridor soon after setup and is driven while serving."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Sequence
from pathlib import Path

from smartcustoms.cli.common import State, operator
from smartcustoms.cli.transit_demo import (
    LIVE_DETOUR_IN,
    LIVE_MARKER,
    LiveTrip,
    run_transit_demo,
)
from smartcustoms.config import Settings
from smartcustoms.db import upgrade
from smartcustoms.transit.alert_store import list_alerts
from smartcustoms.transit.inbound import Inbound
from smartcustoms.transit.scenario import FaultKind
from smartcustoms.transit.service import TransitService


def test_demo_trips_evidence_and_a_live_trip(tmp_path: Path) -> None:
    st = State(settings=Settings(data_dir=tmp_path / "data", environment="test"))
    upgrade(st.engine)
    now = st.clock()
    service = TransitService(st.sessions, st.clock)
    live = run_transit_demo(st, service, live_trip=True)
    assert live is not None
    with st.sessions() as session:
        kinds = {v.alert.kind.value for v in list_alerts(session, operator())}
    assert {"route_deviation", "seal_tamper", "unscheduled_stop"} <= kinds
    folder = tmp_path / "data" / "demo-transit"
    assert len(list(folder.glob("alert-*.pdf"))) == 1
    assert (folder / LIVE_MARKER).read_text() == live.scenario.trip.reference

    # The live trip is under way and leaves its corridor a few minutes from now.
    assert live.scenario.trip.departure_at < now < live.pending[0].received_at
    detour = next(lb for lb in live.scenario.labels if lb.kind is FaultKind.DETOUR)
    assert abs(detour.start - (now + LIVE_DETOUR_IN)) < dt.timedelta(minutes=2)

    # A second demo closes the previous live trip and starts another one.
    again = run_transit_demo(st, service, live_trip=True)
    assert again is not None
    state = service.trip_state(operator(), live.scenario.trip.reference)
    assert state.status == "closed"


def test_the_live_trip_sends_what_is_due(tmp_path: Path) -> None:
    st = State(settings=Settings(data_dir=tmp_path / "data", environment="test"))
    upgrade(st.engine)
    live = run_transit_demo(st, TransitService(st.sessions, st.clock), live_trip=True)
    assert live is not None
    # Everything pending falls due at once when moved into the past.
    shift = live.pending[-1].received_at - st.clock() + dt.timedelta(seconds=1)
    overdue = dataclasses.replace(live, pending=[
        dataclasses.replace(d, received_at=d.received_at - shift) for d in live.pending])
    sent: list[Inbound] = []
    done = threading.Event()

    def send(items: Sequence[Inbound]) -> None:
        sent.extend(items)
        if len(sent) >= len(overdue.pending):
            done.set()

    trip = LiveTrip(overdue, send, lambda: None)
    trip.start()
    assert done.wait(10)
    trip.stop()
    assert len(sent) == len(overdue.pending)
    assert {i.device_id for i in sent if i.device_id} == {live.scenario.trip.device_id}
