"""The transit part of `smartcustoms demo`: trips on the sample corridors, their alerts,
an evidence pack, and one trip that drives live while the server runs.

Three finished trips (a detour, a seal cut outside any authorised zone, a long stop with
a warm reefer) come from the seeded scenario generator; they are registered and their
reports ingested as the intake hands them over. A fourth trip is under way: it left a
while ago, what it sent so far is ingested at setup, and ``LiveTrip`` sends the rest in
real time while the server runs, through Mosquitto when a broker is configured. It
leaves its corridor a few minutes after the server starts, so the console's map moves
and a route deviation reaches the alert queue in front of the newcomer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from smartcustoms.cli.common import State, operator, out
from smartcustoms.config import Settings
from smartcustoms.errors import Conflict, NotFound
from smartcustoms.transit.alert_store import AlertView, list_alerts
from smartcustoms.transit.evidence import evidence_json
from smartcustoms.transit.inbound import Inbound, Source
from smartcustoms.transit.scenario import Delivery, FaultKind, Scenario, generate_scenario
from smartcustoms.transit.scenario import inbound_items as items_of
from smartcustoms.transit.service import TransitService

# (seed, faults); the seed picks the corridor (seed % 3) and the truck's pace. The
# generator starts a trip ``seed % 48`` hours after its ``start``.
FINISHED = ((900, (FaultKind.DETOUR,)), (901, (FaultKind.TAMPER,)),
            (902, (FaultKind.LONG_STOP, FaultKind.TEMPERATURE_EXCURSION)))
LIVE_FAULTS = (FaultKind.DETOUR,)
LIVE_DETOUR_IN = dt.timedelta(minutes=6)  # after setup: time to open the console
LIVE_MARKER = "live-trip.txt"  # the previous demo's live trip, closed by the next one


def _scenario(seed: int, faults: tuple[FaultKind, ...], departs: dt.datetime) -> Scenario:
    offset = dt.timedelta(hours=seed % 48)
    return generate_scenario(seed, faults=faults, epcis_share=0.3, start=departs - offset)


def _register(service: TransitService, scenario: Scenario) -> bool:
    """Device and trip; False when a previous `make demo` already did it."""
    with contextlib.suppress(Conflict):
        service.register_device(operator(), scenario.trip.device_id, "demo e-seal tracker")
    try:
        service.register_trip(operator(), scenario.trip.model_dump(mode="json"))
    except Conflict:
        return False
    return True


@dataclass
class LiveSetup:
    """The live trip, ready to drive once the server is up."""

    scenario: Scenario
    pending: list[Delivery]
    secret: str  # its device's MQTT password


def run_transit_demo(st: State, service: TransitService, *, live_trip: bool
                     ) -> LiveSetup | None:
    """Set up the transit demo: finished trips (once), and with ``live_trip`` a new live
    trip (each time: the server drives it)."""
    now = st.clock()
    service.load()
    out.print("[bold]transit monitoring[/]: sample corridors (synthetic), e-seal trackers, "
              "trips and their alerts", highlight=False)
    for seed, faults in FINISHED:
        scenario = _scenario(seed, faults, now - dt.timedelta(hours=30))
        if _register(service, scenario):  # as a buffered upload from the tracker
            _feed(service, items_of(scenario, source=Source.HTTPS))
        state = service.trip_state(operator(), scenario.trip.reference)
        kinds = sorted({a.alert.kind.value for a in _alerts(service, scenario)})
        out.print(f"  trip {scenario.trip.reference} on {scenario.corridor.name}: "
                  f"{state.counters['accepted']:,} reports, faults "
                  f"{', '.join(f.value for f in faults)} -> alerts {', '.join(kinds)}",
                  highlight=False)
    _write_evidence(st, service, FINISHED[0])
    return _start_live_trip(st, service, now) if live_trip else None


def _start_live_trip(st: State, service: TransitService, now: dt.datetime) -> LiveSetup:
    folder = st.settings.data_dir / "demo-transit"
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / LIVE_MARKER
    if marker.exists():  # the previous demo's live trip stopped reporting: close it
        with contextlib.suppress(Conflict, NotFound):
            service.close_trip(operator(), marker.read_text().strip())
    # A new trip and device each run: the next seed whose device is not registered yet.
    for seed in itertools.count(1000 + int(now.timestamp()) % 90_000):
        draft = _scenario(seed, LIVE_FAULTS, now)
        detour = next(label for label in draft.labels if label.kind is FaultKind.DETOUR)
        # Same seed, same schedule: shift the start so that the detour begins soon.
        live = _scenario(seed, LIVE_FAULTS, now + (now + LIVE_DETOUR_IN - detour.start))
        try:
            secret = service.register_device(operator(), live.trip.device_id,
                                             "demo live tracker").secret
        except Conflict:
            continue
        break
    service.register_trip(operator(), live.trip.model_dump(mode="json"))
    marker.write_text(live.trip.reference, encoding="utf-8")
    sent, pending = split_at(live.deliveries, now)
    _feed(service, items_of(live, sent, source=Source.HTTPS))
    out.print(f"  live trip {live.trip.reference} on {live.corridor.name}: under way since "
              f"{live.trip.departure_at:%H:%M} UTC, {len(sent)} reports so far; it leaves "
              f"its corridor in about {LIVE_DETOUR_IN.seconds // 60} minutes (watch the "
              "console's Transit page)",
              highlight=False)
    return LiveSetup(live, pending, secret)


def _feed(service: TransitService, items: Sequence[Inbound], size: int = 500) -> None:
    for i in range(0, len(items), size):
        service.ingest(items[i:i + size])


def _alerts(service: TransitService, scenario: Scenario) -> list[AlertView]:
    with service.sessions() as session:
        return list_alerts(session, operator(), trip_ref=scenario.trip.reference)


def _write_evidence(st: State, service: TransitService,
                    spec: tuple[int, tuple[FaultKind, ...]]) -> None:
    scenario = _scenario(spec[0], spec[1], st.clock())  # only its MRN is used
    alerts = _alerts(service, scenario)
    if not alerts:
        return
    alert_id = alerts[0].alert.alert_id
    folder = st.settings.data_dir / "demo-transit"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"alert-{alert_id}.json").write_bytes(
        evidence_json(service.evidence(operator(), alert_id)))
    (folder / f"alert-{alert_id}.pdf").write_bytes(service.evidence_pdf(operator(), alert_id))
    out.print(f"  evidence pack of alert {alert_id} ({alerts[0].alert.kind.value}) written "
              f"to {folder} as JSON and PDF", highlight=False)


def split_at(deliveries: Sequence[Delivery], at: dt.datetime
             ) -> tuple[list[Delivery], list[Delivery]]:
    """Deliveries received by ``at``, and the rest."""
    sent = [d for d in deliveries if d.received_at <= at]
    return sent, list(deliveries[len(sent):])


Send = Callable[[Sequence[Inbound]], object]


def live_sender(service: TransitService, settings: Settings, live: LiveSetup
                ) -> tuple[Send, Callable[[], None]]:
    """How the live trip's reports travel: through Mosquitto as its device when the
    platform has a broker (the intake stamps their receipt), else straight to the
    service; officers' commands and clock ticks always go to the service."""
    if not settings.mqtt_url:
        return service.ingest, lambda: None
    from smartcustoms.mqtt.device import DevicePublisher

    device = DevicePublisher(settings.mqtt_url, live.scenario.trip.device_id, live.secret)

    def send(items: Sequence[Inbound]) -> None:
        others = []
        for item in items:
            if item.device_id is not None:
                device.publish(item.kind, item.payload)
            else:
                others.append(item)
        if others:
            service.ingest(others)

    return send, device.close


def _due(pending: Sequence[Delivery], i: int, now: dt.datetime) -> list[Delivery]:
    """From ``i``: what has fallen due by ``now`` (at least the next one)."""
    due = list(itertools.takewhile(lambda d: d.received_at <= now, pending[i:]))
    return due or [pending[i]]


class LiveTrip:
    """Sends a scenario's remaining deliveries when they fall due, until stopped."""

    def __init__(self, live: LiveSetup, send: Send, close: Callable[[], None]) -> None:
        self._live = live
        self._send = send
        self._close = close
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-live-trip", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._close()

    def _run(self) -> None:
        pending = self._live.pending
        i = 0
        while i < len(pending) and not self._stop.is_set():
            wait = (pending[i].received_at - dt.datetime.now(dt.UTC)).total_seconds()
            if self._stop.wait(max(0.0, wait)):
                return
            due = _due(pending, i, dt.datetime.now(dt.UTC))
            i += len(due)
            try:
                self._send(items_of(self._live.scenario, due))
            except Exception as exc:  # a demo nicety: say so, do not take the server down
                out.print(f"[yellow]live trip stopped[/]: {exc}", highlight=False)
                return
