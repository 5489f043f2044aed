"""Transit monitoring in the console: the live map and alert queue, a trip's page with
its timeline and replay, an alert's page with its case.

Pages are complete without JavaScript (tables, timeline, forms). ``static/transit.js``
adds the maps (Leaflet, vendored; no tile server: corridors, zones and tracks are drawn
on a plain background), the replay slider, and live updates of the queue over the
WebSocket of ``transit_live``. Map data travels in a ``<script type="application/json">``
block, which the CSP allows because it is never executed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session as DbSession

from smartcustoms import declarations as decl
from smartcustoms.declarations import DeclarationFilter
from smartcustoms.errors import InvalidInput
from smartcustoms.http.deps import context
from smartcustoms.identity import Permission
from smartcustoms.transit import registry
from smartcustoms.transit.alert_store import AlertView, get_alert, list_alerts
from smartcustoms.transit.alerts import CaseStatus, ResolutionReason
from smartcustoms.transit.corridors import Corridor
from smartcustoms.transit.events import CommandKind, SealCommand
from smartcustoms.transit.evidence import evidence_json
from smartcustoms.transit.service import TrackPoint, TransitService, TripState

from .contexts import TRANSIT_PATH, Layout
from .session import ConsoleSession, Session, check_csrf
from .web import ConsoleRoute, redirect, render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False,
                   default_response_class=HTMLResponse)

QUEUE_LIMIT = 200
CASE_ACTIONS = ("acknowledge", "assign", "resolve")
# Officers may not pick the reason the system gives to alerts late data withdrew.
OFFICER_REASONS = tuple(r for r in ResolutionReason
                        if r is not ResolutionReason.RETRACTED_BY_LATE_DATA)


def _service(request: Request) -> TransitService:
    return context(request).transit  # type: ignore[no-any-return]


def trip_href(ref: str) -> str:
    return f"{TRANSIT_PATH}/trips/{ref}"


def alert_href(alert_id: str) -> str:
    return f"{TRANSIT_PATH}/alerts/{alert_id}"


# ------------------------------------------------------------------------ map data
# Leaflet takes [lat, lon]; the transit models keep (lon, lat) like GeoJSON.

def _latlon(point: Sequence[float]) -> list[float]:
    return [point[1], point[0]]


def corridor_data(corridor: Corridor) -> dict[str, Any]:
    zones = [{"id": z.zone_id, "name": z.name, "kind": z.kind.value, "office": z.office,
              "centre": _latlon(z.centre) if z.centre else None, "radius_m": z.radius_m,
              "polygon": [_latlon(p) for p in z.polygon] if z.polygon else None}
             for z in corridor.zones]
    return {"id": corridor.corridor_id, "name": corridor.name, "width_m": corridor.width_m,
            "route": [_latlon(p) for p in corridor.route], "zones": zones}


def point_data(p: TrackPoint, width_m: float) -> dict[str, Any]:
    inside = None if p.off_corridor_m is None else p.off_corridor_m <= width_m
    return {"t": p.t.isoformat(), "lat": p.lat, "lon": p.lon, "speed_kmh": p.speed_kmh,
            "seal": p.seal, "off_m": p.off_corridor_m, "inside": inside}


# ------------------------------------------------------------------------ overview

@dataclass(frozen=True, slots=True)
class TripRow:
    ref: str
    declaration_ref: str
    corridor: str
    seal_state: str
    progress: float
    open_alerts: int
    last: dict[str, Any] | None  # the last fix (map marker), or None before any

    @property
    def href(self) -> str:
        return trip_href(self.ref)


@dataclass(frozen=True, slots=True)
class OverviewPage:
    layout: Layout
    trips: tuple[TripRow, ...]
    alerts: tuple[AlertView, ...]
    map_data: dict[str, Any]

    @staticmethod
    def alert_href(alert_id: str) -> str:
        return alert_href(alert_id)

    @staticmethod
    def trip_href(ref: str) -> str:
        return trip_href(ref)


def _trip_row(state: TripState, open_alerts: int) -> TripRow:
    last = point_data(state.track[-1], state.corridor.width_m) if state.track else None
    return TripRow(ref=state.trip.reference, declaration_ref=state.trip.declaration_ref,
                   corridor=state.corridor.name, seal_state=state.seal_state,
                   progress=state.progress, open_alerts=open_alerts, last=last)


def _overview(request: Request, session: ConsoleSession) -> OverviewPage:
    actor = session.principal
    actor.require(Permission.read_transit)
    with context(request).sessions() as db:
        infos = registry.list_trips(db, status="active")
        queue = list_alerts(db, actor, open_only=True, limit=QUEUE_LIMIT)
    counts: dict[str, int] = {}
    for view in queue:
        counts[view.alert.trip_ref] = counts.get(view.alert.trip_ref, 0) + 1
    service = _service(request)
    # One point per trip is enough here: the last fix (the service keeps the last).
    states = [service.trip_state(actor, i.trip.reference, max_points=1) for i in infos]
    rows = tuple(_trip_row(s, counts.get(s.trip.reference, 0)) for s in states)
    corridors = {s.corridor.corridor_id: corridor_data(s.corridor) for s in states}
    map_data = {"corridors": list(corridors.values()),
                "trips": [{"ref": r.ref, "href": r.href, "last": r.last,
                           "seal_state": r.seal_state, "progress": r.progress} for r in rows]}
    return OverviewPage(layout=Layout.build(session, TRANSIT_PATH), trips=rows,
                        alerts=tuple(queue), map_data=map_data)


@router.get(TRANSIT_PATH)
def overview(request: Request, session: Session) -> Response:
    """The live map of active trips, their table, and the open alert queue."""
    return render(request, "transit/overview.html", _overview(request, session))


@router.get(TRANSIT_PATH + "/map.json", response_class=JSONResponse)
def overview_map(request: Request, session: Session) -> Response:
    """The overview map's data, refetched by the page when the queue changes."""
    return JSONResponse(_overview(request, session).map_data)


# ------------------------------------------------------------------------ trip page

@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: dt.datetime  # device time (commands: when issued)
    kind: str  # "alert" | "command"
    title: str
    detail: str
    seal: str | None  # the seal status the device reported at that time
    href: str | None = None
    retracted: bool = False


@dataclass(frozen=True, slots=True)
class TripPage:
    layout: Layout
    state: TripState
    timeline: tuple[TimelineEntry, ...]
    map_data: dict[str, Any]
    can_command: bool
    can_close: bool
    notice: str | None
    declaration_href: str | None = None  # the declaration the trip carries, when stored
    command_kinds: tuple[str, ...] = tuple(k.value for k in CommandKind)

    @property
    def offices(self) -> tuple[str, ...]:
        """Offices of the corridor's zones, for the command form's choice."""
        found = [z.office for z in self.state.corridor.zones if z.office]
        return tuple(dict.fromkeys([self.state.trip.office_of_departure, *found,
                                    self.state.trip.office_of_destination]))

    @property
    def last(self) -> TrackPoint | None:
        return self.state.track[-1] if self.state.track else None


def _seal_at(track: Sequence[TrackPoint], at: dt.datetime) -> str | None:
    seal = None
    for p in track:
        if p.t > at:
            break
        seal = p.seal or seal
    return seal


def _timeline(state: TripState, alerts: Sequence[AlertView],
              commands: Sequence[SealCommand]) -> tuple[TimelineEntry, ...]:
    track = state.track
    entries = [TimelineEntry(
        at=v.alert.opened_at, kind="alert",
        title=f"{v.alert.severity.value} {v.alert.kind.value}", detail=v.alert.detail,
        seal=_seal_at(track, v.alert.opened_at), href=alert_href(v.alert.alert_id),
        retracted=v.engine_state != "active") for v in alerts]
    entries += [TimelineEntry(
        at=c.issued_at, kind="command", title=f"command {c.kind.value}",
        detail=f"by {c.officer_id}, seal {c.seal_id}"
               + (f", at {c.office}" if c.office else ""),
        seal=_seal_at(track, c.issued_at)) for c in commands]
    return tuple(sorted(entries, key=lambda e: e.at))


def _trip_notice(request: Request, state: TripState) -> str | None:
    query = request.query_params
    if query.get("closed"):
        return "Trip closed: monitoring stopped."
    kind = query.get("command")
    if kind is None:
        return None
    count = query.get("refused", "")
    refused = int(count) if count.isdigit() else 0
    if refused:
        reasons = "; ".join(state.refusals[-refused:])
        return f"Command {kind} refused: {reasons}"
    return f"Command {kind} given; the seal is now {state.seal_state}."


@router.get(TRANSIT_PATH + "/trips/{ref}")
def trip_page(ref: str, request: Request, session: Session) -> Response:
    """Map of the corridor and the whole track, timeline, replay, seal commands."""
    actor = session.principal
    service = _service(request)
    state = service.trip_state(actor, ref)
    with context(request).sessions() as db:
        alerts = list_alerts(db, actor, trip_ref=ref, include_retracted=True,
                             limit=QUEUE_LIMIT)
        declaration = _declaration_href(db, session, state.trip.declaration_ref)
    width = state.corridor.width_m
    map_data = {"corridors": [corridor_data(state.corridor)],
                "track": [point_data(p, width) for p in state.track]}
    active = state.status == "active"
    page = TripPage(layout=Layout.build(session, TRANSIT_PATH), state=state,
                    timeline=_timeline(state, alerts, service.trip_commands(actor, ref)),
                    map_data=map_data,
                    can_command=active and actor.can(Permission.command_seals),
                    can_close=active and actor.can(Permission.manage_transit),
                    notice=_trip_notice(request, state), declaration_href=declaration)
    return render(request, "transit/trip.html", page)


def _declaration_href(db: DbSession, session: ConsoleSession, reference: str) -> str | None:
    """The declaration page, or the list filtered by LRN when several match."""
    if not session.principal.can(Permission.read_all_declarations):
        return None
    found = decl.list_declarations(db, DeclarationFilter(reference=reference),
                                   actor=session.principal, limit=2, offset=0)
    if found.total == 1:
        return f"/declarations/{found.items[0].id}"
    return "/declarations?" + urlencode({"lrn": reference}) if found.total else None


@router.post(TRANSIT_PATH + "/trips/{ref}/commands")
def trip_command(ref: str, request: Request, session: Session,
                 csrf_token: Annotated[str, Form()] = "",
                 kind: Annotated[str, Form()] = "",
                 office: Annotated[str, Form()] = "",
                 seal_id: Annotated[str, Form()] = "") -> Response:
    check_csrf(session, csrf_token)
    try:
        command_kind = CommandKind(kind)
    except ValueError:
        raise InvalidInput(f"no seal command {kind!r}", field="kind", value=kind) from None
    report = _service(request).command(session.principal, ref, command_kind,
                                       seal_id=seal_id.strip() or None,
                                       office=office.strip() or None)
    query = urlencode({"command": kind, "refused": len(report.refused)})
    return redirect(f"{trip_href(ref)}?{query}")


@router.post(TRANSIT_PATH + "/trips/{ref}/close")
def trip_close(ref: str, request: Request, session: Session,
               csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(session, csrf_token)
    _service(request).close_trip(session.principal, ref)
    return redirect(f"{trip_href(ref)}?closed=1")


# ------------------------------------------------------------------------ alert page

@dataclass(frozen=True, slots=True)
class AlertPage:
    layout: Layout
    view: AlertView
    pack: dict[str, Any]  # the evidence pack: rule, thresholds, track excerpt
    map_data: dict[str, Any]
    can_handle: bool
    notice: str | None
    reasons: tuple[str, ...] = tuple(r.value for r in OFFICER_REASONS)

    @property
    def trip_href(self) -> str:
        return trip_href(self.view.alert.trip_ref)

    @property
    def evidence_href(self) -> str:
        return alert_href(self.view.alert.alert_id) + "/evidence"

    @property
    def open(self) -> bool:
        return self.view.case_status is not CaseStatus.RESOLVED


def _alert_track(pack: dict[str, Any], width_m: float) -> list[dict[str, Any]]:
    points = []
    for p in pack["track"]:
        off = p["distance_from_centreline_m"]
        points.append({"t": p["device_time"], "lat": p["lat"], "lon": p["lon"],
                       "speed_kmh": p["speed_kmh"], "off_m": off, "seal": None,
                       "inside": None if off is None else off <= width_m})
    return points


@router.get(TRANSIT_PATH + "/alerts/{alert_id}")
def alert_page(alert_id: str, request: Request, session: Session) -> Response:
    """The alert, its rule and measurements, its case, and the track around it."""
    actor = session.principal
    service = _service(request)
    pack = service.evidence(actor, alert_id)
    with context(request).sessions() as db:
        view = get_alert(db, actor, alert_id)
    state = service.trip_state(actor, view.alert.trip_ref, max_points=1)
    map_data = {"corridors": [corridor_data(state.corridor)],
                "track": _alert_track(pack, state.corridor.width_m)}
    done = request.query_params.get("done")
    page = AlertPage(layout=Layout.build(session, TRANSIT_PATH), view=view, pack=pack,
                     map_data=map_data,
                     can_handle=actor.can(Permission.handle_transit_alerts),
                     notice=f"Case step {done} recorded." if done in CASE_ACTIONS else None)
    return render(request, "transit/alert.html", page)


@router.post(TRANSIT_PATH + "/alerts/{alert_id}/{action}")
def alert_step(alert_id: str, action: str, request: Request, session: Session,
               csrf_token: Annotated[str, Form()] = "",
               assignee: Annotated[str, Form()] = "",
               reason: Annotated[str, Form()] = "",
               note: Annotated[str, Form()] = "") -> Response:
    """A case step: acknowledge, assign (to ``assignee``), resolve (with ``reason``)."""
    check_csrf(session, csrf_token)
    code = None
    if reason:
        try:
            code = ResolutionReason(reason)
        except ValueError:
            raise InvalidInput(f"no reason code {reason!r}", field="reason",
                               value=reason) from None
    _service(request).step_case(session.principal, alert_id, action,
                                assignee=assignee.strip() or None, reason=code,
                                note=note.strip()[:2000])
    return redirect(f"{alert_href(alert_id)}?done={action}")


@router.get(TRANSIT_PATH + "/alerts/{alert_id}/evidence")
def alert_evidence(alert_id: str, request: Request, session: Session) -> Response:
    """The evidence pack as a JSON file (the same bytes as the API's)."""
    pack = _service(request).evidence(session.principal, alert_id)
    return Response(evidence_json(pack), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="alert-{alert_id}.json"'})


@router.get(TRANSIT_PATH + "/alerts/{alert_id}/evidence.pdf")
def alert_evidence_pdf(alert_id: str, request: Request, session: Session) -> Response:
    """The evidence pack as a PDF for the case file (map, tables, the JSON's digest)."""
    body = _service(request).evidence_pdf(session.principal, alert_id)
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="alert-{alert_id}.pdf"'})
