"""Transit in the console: the overview with its alert queue, the trip page (timeline,
replay data, seal commands, closing), the alert page and its case forms, the evidence
download, and the live queue's WebSocket (session, permission and Origin checks, a change
pushed after an ingest).

One seeded data folder per module (users, a device, the trip of scenario seed 0, which
drives off its corridor: a route deviation from telemetry alone); consoles are copies of
it, with a clock set to the scenario's last receipt (the engine quarantines reports more
than 7 days old).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from smartcustoms import identity
from smartcustoms.config import Settings
from smartcustoms.console import transit_live
from smartcustoms.db import make_engine, session_factory, unit_of_work, upgrade
from smartcustoms.declarations import submit_declaration
from smartcustoms.http.app import create_app
from smartcustoms.http.deps import SESSION_COOKIE
from smartcustoms.identity import SYSTEM, Role
from smartcustoms.transit.engine import RecordKind
from smartcustoms.transit.inbound import Inbound, Source
from smartcustoms.transit.scenario import Scenario, generate_scenario
from smartcustoms.transit.service import TransitService

from .conftest import Element, password_of

VECTOR = Path(__file__).resolve().parents[1] / "vectors" / "declaration_full.json"
USERS = {"officer.kim": Role.officer, "analyst.lee": Role.analyst,
         "super.ana": Role.supervisor, "trader.park": Role.trader}
SCENARIO = generate_scenario(0, epcis_share=0.0)
REF = SCENARIO.trip.reference
WS = "/console/transit/ws"
ORIGIN = {"origin": "http://testserver"}


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class TransitConsole:
    app: FastAPI
    clock: Clock

    @property
    def service(self) -> TransitService:
        return self.app.state.ctx.transit  # type: ignore[no-any-return]

    def client_as(self, username: str | None) -> TestClient:
        client = TestClient(self.app, follow_redirects=False)
        if username:
            with unit_of_work(self.app.state.ctx.sessions) as db:
                token = identity.issue_token(db, identity.get_user(db, username), name="test",
                                             now=self.clock.now, ttl=dt.timedelta(days=1))
            client.cookies.set(SESSION_COOKIE, token)
        return client


def telemetry(scenario: Scenario, *, before: dt.datetime | None = None,
              after: dt.datetime | None = None) -> list[Inbound]:
    """The scenario's telemetry as the broker would hand it over, optionally a slice by
    receipt time."""
    return [Inbound(Source.MQTT, d.kind, d.payload, d.received_at,
                    device_id=scenario.trip.device_id)
            for d in scenario.deliveries if d.kind is RecordKind.TELEMETRY_JSON
            and (before is None or d.received_at < before)
            and (after is None or d.received_at >= after)]


def ingest(service: TransitService, items: list[Inbound], size: int = 200) -> None:
    for i in range(0, len(items), size):
        service.ingest(items[i:i + size])


def seed_transit(data_dir: Path) -> Path:
    """Users, the scenario's device and trip; no telemetry yet."""
    settings = Settings(data_dir=data_dir, environment="test")
    engine = make_engine(settings)
    upgrade(engine)
    sessions = session_factory(engine)
    now = SCENARIO.deliveries[-1].received_at
    with unit_of_work(sessions) as db:
        for username, role in USERS.items():
            identity.create_user(db, username=username, password=password_of(username),
                                 role=role, company_id="MG77MTE" if role is Role.trader
                                 else None, display_name=None, actor=SYSTEM, now=now)
        # The transit declaration the trip carries (the vector, under the trip's reference).
        declared = json.loads(VECTOR.read_text(encoding="utf-8"))
        declared["reference"] = SCENARIO.trip.declaration_ref
        declared["declaration_date"] = now.date().isoformat()
        for doc in [*declared["documents"], *(d for item in declared["items"]
                                             for d in item.get("documents", []))]:
            doc["issue_date"] = now.date().isoformat()
        declaration_id = submit_declaration(db, declared, actor=SYSTEM, now=now).declaration.id
    (data_dir / "declaration_id").write_text(declaration_id)
    service = TransitService(sessions, lambda: now)
    service.register_device(SYSTEM, SCENARIO.trip.device_id, "test tracker")
    service.register_trip(SYSTEM, SCENARIO.trip.model_dump(mode="json"))
    engine.dispose()
    return data_dir


def open_console(template: Path, target: Path) -> TransitConsole:
    shutil.copytree(template, target)
    clock = Clock(SCENARIO.deliveries[-1].received_at)
    app = create_app(Settings(data_dir=target, environment="test"), clock=clock)
    return TransitConsole(app, clock)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_transit(tmp_path_factory.mktemp("transit-template") / "data")


@pytest.fixture(scope="module")
def loaded(template: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[TransitConsole]:
    """The whole trip ingested: read-only tests share it."""
    console = open_console(template, tmp_path_factory.mktemp("transit-loaded") / "data")
    ingest(console.service, telemetry(SCENARIO))
    yield console
    console.app.state.ctx.engine.dispose()


@pytest.fixture
def fresh(template: Path, tmp_path: Path) -> Iterator[TransitConsole]:
    """A console of one's own (the trip registered, nothing ingested)."""
    console = open_console(template, tmp_path / "data")
    yield console
    console.app.state.ctx.engine.dispose()


@pytest.fixture
def as_user(loaded: TransitConsole) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(username: str | None, console: TransitConsole | None = None) -> TestClient:
        clients.append((console or loaded).client_as(username))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def _data(page: Element) -> dict[str, Any]:
    block = page.find("script", type="application/json", id="transit-data")
    return json.loads(block.text)  # type: ignore[no-any-return]


def _deviation(page: Element) -> Element:
    rows = [r for r in page.by_id("queue-rows").find_all("tr")
            if "route_deviation" in r.text]
    assert rows, "no route deviation in the queue"
    return rows[0]


# ------------------------------------------------------------------------ pages


def test_overview_shows_trips_map_and_queue(as_user: Callable[..., TestClient],
                                            html: Callable[[str], Element]) -> None:
    r = as_user("officer.kim").get("/console/transit")
    assert r.status_code == 200, r.text
    assert "'unsafe-inline'" not in r.headers["content-security-policy"]
    page = html(r.text)
    assert "/console/transit" in page.find("nav").links()
    trips = page.by_id("trips").rows()
    assert trips[0][:3] == [REF, SCENARIO.trip.declaration_ref, SCENARIO.corridor.name]
    assert int(trips[0][5]) >= 1
    row = _deviation(page)
    assert row.attrs["data-trip"] == REF
    assert page.by_id("queue-rows").attrs["aria-live"] == "polite"
    data = _data(page)
    assert data["corridors"][0]["id"] == SCENARIO.corridor.corridor_id
    lat, lon = data["corridors"][0]["route"][0]
    assert (lon, lat) == SCENARIO.corridor.route[0]  # Leaflet order: [lat, lon]
    assert data["trips"][0]["ref"] == REF and data["trips"][0]["last"]["lat"]
    assert as_user("officer.kim").get("/console/transit/map.json").json() == data


def test_trip_page_has_timeline_track_and_commands(as_user: Callable[..., TestClient],
                                                    html: Callable[[str], Element]) -> None:
    r = as_user("officer.kim").get(f"/console/transit/trips/{REF}")
    assert r.status_code == 200, r.text
    page = html(r.text)
    timeline = page.by_id("timeline").rows()
    assert any("route_deviation" in row[1] for row in timeline)
    times = [tr.attrs["data-at"] for tr in page.by_id("timeline").find_all("tr")
             if "data-at" in tr.attrs]
    assert times == sorted(times)
    track = _data(page)["track"]
    assert len(track) > 100 and any(p["inside"] is False for p in track)
    assert page.by_id("replay-slider").attrs["type"] == "range"
    form = page.by_id("command-form")
    assert form.find("input", name="csrf_token").attrs["value"]
    assert {o.attrs["value"] for o in form.find("select", name="kind").find_all("option")} >= {
        "arm", "disarm"}
    assert not page.find_all(id="close-form")  # closing is the supervisor's
    sup = html(as_user("super.ana").get(f"/console/transit/trips/{REF}").text)
    assert sup.by_id("close-form")
    analyst = html(as_user("analyst.lee").get(f"/console/transit/trips/{REF}").text)
    assert not analyst.find_all(id="command-form")  # analysts read only


def test_alert_page_shows_rule_measurements_and_evidence(
        as_user: Callable[..., TestClient], html: Callable[[str], Element]) -> None:
    officer = as_user("officer.kim")
    queue = html(officer.get("/console/transit").text)
    href = _deviation(queue).find("a").attrs["href"]
    page = html(officer.get(href).text)
    assert page.find("h1").text == "route deviation"
    assert page.by_id("thresholds").rows() and page.by_id("measurements").rows()
    assert page.by_id("case-history").rows()[0][2] == "open"
    assert page.by_id("resolve-form")
    assert _data(page)["track"]
    r = officer.get(href + "/evidence")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert r.json()["alert"]["kind"] == "route_deviation"
    r = officer.get(href + "/evidence.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert r.headers["content-type"] == "application/pdf"


def test_trader_is_refused_and_anonymous_is_sent_to_login(
        as_user: Callable[..., TestClient], html: Callable[[str], Element]) -> None:
    trader = as_user("trader.park")
    assert trader.get("/console/transit").status_code == 403
    assert trader.get(f"/console/transit/trips/{REF}").status_code == 403
    nav = html(trader.get("/declarations").text).find("nav")
    assert "/console/transit" not in nav.links()
    r = as_user(None).get("/console/transit")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


# ------------------------------------------------------------------------ forms


def test_case_forms_acknowledge_assign_resolve(fresh: TransitConsole,
                                               as_user: Callable[..., TestClient],
                                               html: Callable[[str], Element]) -> None:
    ingest(fresh.service, telemetry(SCENARIO))
    officer = as_user("officer.kim", fresh)
    href = _deviation(html(officer.get("/console/transit").text)).find("a").attrs["href"]
    csrf = html(officer.get(href).text).find("input", name="csrf_token").attrs["value"]
    r = officer.post(href + "/acknowledge", data={"csrf_token": "forged"})
    assert r.status_code == 403  # no step without the session's CSRF value
    for action, fields in (("acknowledge", {}), ("assign", {"assignee": "officer.kim"}),
                           ("resolve", {"reason": "confirmed_infringement",
                                        "note": "driver left the corridor"})):
        r = officer.post(f"{href}/{action}", data={"csrf_token": csrf, **fields})
        assert r.status_code == 303, r.text
        assert r.headers["location"] == f"{href}?done={action}"
    page = html(officer.get(f"{href}?done=resolve").text)
    assert page.find(data_testid="case-status").text == "resolved"
    assert [row[2] for row in page.by_id("case-history").rows()] == [
        "open", "acknowledged", "assigned", "resolved"]
    assert not page.find_all(id="resolve-form")
    queue = html(officer.get("/console/transit").text).by_id("queue-rows")
    assert "route_deviation" not in queue.text  # resolved: out of the queue


def test_seal_command_and_closing_the_trip(fresh: TransitConsole,
                                           as_user: Callable[..., TestClient],
                                           html: Callable[[str], Element]) -> None:
    officer = as_user("officer.kim", fresh)
    path = f"/console/transit/trips/{REF}"
    csrf = html(officer.get(path).text).find("input", name="csrf_token").attrs["value"]
    assert officer.post(path + "/commands", data={"kind": "assign"}).status_code == 403
    r = officer.post(path + "/commands", data={"csrf_token": csrf, "kind": "assign",
                                               "office": SCENARIO.trip.office_of_departure})
    assert r.status_code == 303
    page = html(officer.get(r.headers["location"]).text)
    assert "Command assign" in page.find(data_testid="notice").text
    assert any(row[1] == "command assign" for row in page.by_id("timeline").rows())
    assert officer.post(path + "/close", data={"csrf_token": csrf}).status_code == 403
    supervisor = as_user("super.ana", fresh)
    csrf = html(supervisor.get(path).text).find("input", name="csrf_token").attrs["value"]
    r = supervisor.post(path + "/close", data={"csrf_token": csrf})
    assert r.status_code == 303
    page = html(supervisor.get(r.headers["location"]).text)
    assert page.find(data_testid="trip-status").text == "closed"
    assert not page.find_all(id="command-form")


# ------------------------------------------------------------------------ WebSocket


def test_websocket_pushes_alert_changes(fresh: TransitConsole,
                                        as_user: Callable[..., TestClient]) -> None:
    officer = as_user("officer.kim", fresh)
    with officer.websocket_connect(WS, headers=ORIGIN) as ws:
        ingest(fresh.service, telemetry(SCENARIO))
        messages = []
        while not any(m["alert"]["alert"]["kind"] == "route_deviation" for m in messages):
            messages.append(ws.receive_json())
    deviation = next(m for m in messages if m["alert"]["alert"]["kind"] == "route_deviation")
    assert deviation["trip_ref"] == REF and deviation["change"] in ("raised", "updated")
    assert deviation["alert"]["case_status"] == "open"
    assert dt.datetime.fromisoformat(deviation["sent_at"]) == fresh.clock.now
    assert {"change", "trip_ref", "alert", "replaces", "sent_at"} <= deviation.keys()
    assert not fresh.service._listeners  # unsubscribed on disconnect


@pytest.mark.parametrize(("user", "headers"), [
    (None, ORIGIN),  # no session
    ("trader.park", ORIGIN),  # no transit:read
    ("officer.kim", {"origin": "http://evil.example"}),  # cross-site
    ("officer.kim", {}),  # no Origin at all
])
def test_websocket_refuses(user: str | None, headers: dict[str, str],
                           as_user: Callable[..., TestClient]) -> None:
    with pytest.raises(WebSocketDisconnect) as refused, \
            as_user(user).websocket_connect(WS, headers=headers) as ws:
        ws.receive_json()
    assert refused.value.code == 1008


def test_a_slow_page_is_disconnected_rather_than_sent_a_queue_with_holes() -> None:
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=2)
    change: Any = object()
    for _ in range(3):
        transit_live._offer(queue, change)
    assert queue.qsize() == 1 and queue.get_nowait() == "overflow"


def test_the_declaration_page_lists_its_transit_trips(
        as_user: Callable[..., TestClient], html: Callable[[str], Element],
        template: Path) -> None:
    declaration_id = (template / "declaration_id").read_text()
    page = html(as_user("officer.kim").get(f"/declarations/{declaration_id}").text)
    rows = page.by_id("transit-trips").rows()
    assert rows[0][0] == REF and rows[0][1] == "active"
    assert int(rows[0][5].split()[0]) >= 1  # the open route deviation
    link = page.by_id("transit-trips").find("a").attrs["href"]
    assert link == f"/console/transit/trips/{REF}"


def test_the_trip_page_links_its_declaration(
        as_user: Callable[..., TestClient], html: Callable[[str], Element],
        template: Path) -> None:
    declaration_id = (template / "declaration_id").read_text()
    page = html(as_user("officer.kim").get(f"/console/transit/trips/{REF}").text)
    link = page.find("a", data_testid="declaration-link")
    assert link.attrs["href"] == f"/declarations/{declaration_id}"
