"""Transit monitoring over HTTP.

- Staff (``/api/v1/transit/…``, bearer token): corridors, devices, trips, seal commands,
  the alert queue with its case steps, evidence packs, a trip's raw log and EPCIS export.
- Devices (``POST /api/v1/transit/devices/{id}/events``, HTTP Basic with the device's own
  id and secret, the same as its MQTT credentials): upload of buffered reports. Answered
  202 once the batch is committed to the raw log, so a device may then drop its buffer.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from smartcustoms.errors import AuthenticationFailed, InvalidInput
from smartcustoms.http.deps import Actor, AppContext, Ctx
from smartcustoms.http.problems import responses
from smartcustoms.http.routers.imports import UploadTooLarge
from smartcustoms.identity import Permission
from smartcustoms.transit import registry
from smartcustoms.transit.alert_store import AlertView, get_alert, list_alerts
from smartcustoms.transit.alerts import ResolutionReason
from smartcustoms.transit.corridors import Corridor
from smartcustoms.transit.engine import RecordKind
from smartcustoms.transit.epcis import export_epcis_json
from smartcustoms.transit.events import CommandKind
from smartcustoms.transit.evidence import evidence_json
from smartcustoms.transit.inbound import Inbound, Source
from smartcustoms.transit.service import BatchReport, CommandReport, TransitService, TripState

router = APIRouter(prefix="/api/v1/transit", tags=["transit"])

NDJSON = "application/x-ndjson"
EPCIS_TYPES = ("application/ld+json", "application/epcis+json")
MAX_UPLOAD_RECORDS = 10_000


def _service(ctx: AppContext) -> TransitService:
    return ctx.transit  # type: ignore[no-any-return]


# ------------------------------------------------------------------------ corridors

@router.get("/corridors", response_model=list[Corridor], responses=responses(401, 403))
def corridors(ctx: Ctx, actor: Actor) -> list[Corridor]:
    """The library of corridors: route line, width, authorised stop zones."""
    actor.require(Permission.read_transit)
    with ctx.sessions() as session:
        return registry.list_corridors(session)


@router.post("/corridors", status_code=201, response_model=Corridor,
             responses=responses(401, 403, 409, 422))
def add_corridor(body: dict[str, Any], ctx: Ctx, actor: Actor) -> Corridor:
    """Add a gazetted route (the ``Corridor`` shape: route as [lon, lat] pairs, zones)."""
    with ctx.sessions.begin() as session:
        return registry.add_corridor(session, actor, body, ctx.clock())


# ------------------------------------------------------------------------ devices

class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: str = Field(pattern=registry.DEVICE_ID_PATTERN)
    description: str = Field("", max_length=500)


@router.get("/devices", response_model=list[registry.DeviceInfo], responses=responses(401, 403))
def devices(ctx: Ctx, actor: Actor) -> list[registry.DeviceInfo]:
    actor.require(Permission.read_transit)
    with ctx.sessions() as session:
        return registry.list_devices(session)


@router.post("/devices", status_code=201, response_model=registry.DeviceSecret,
             responses=responses(401, 403, 409, 422))
def register_device(body: DeviceIn, ctx: Ctx, actor: Actor) -> registry.DeviceSecret:
    """Register a tracker; the answer holds its secret, shown this once."""
    return _service(ctx).register_device(actor, body.device_id, body.description)


@router.post("/devices/{device_id}/rotate", response_model=registry.DeviceSecret,
             responses=responses(401, 403, 404, 422))
def rotate_device(device_id: str, ctx: Ctx, actor: Actor) -> registry.DeviceSecret:
    """A new secret; the old one stops working at once (broker and upload)."""
    return _service(ctx).rotate_device_secret(actor, device_id)


@router.post("/devices/{device_id}/disable", response_model=registry.DeviceInfo,
             responses=responses(401, 403, 404, 422))
def disable_device(device_id: str, ctx: Ctx, actor: Actor) -> registry.DeviceInfo:
    """A lost or compromised device: the broker and the upload refuse it from now on."""
    return _service(ctx).set_device_status(actor, device_id, False)


@router.post("/devices/{device_id}/enable", response_model=registry.DeviceInfo,
             responses=responses(401, 403, 404, 422))
def enable_device(device_id: str, ctx: Ctx, actor: Actor) -> registry.DeviceInfo:
    return _service(ctx).set_device_status(actor, device_id, True)


def _device_credentials(request: Request) -> tuple[str, str]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        raise AuthenticationFailed("a device authenticates with HTTP Basic: its device id "
                                   "and secret")
    try:
        user, sep, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise AuthenticationFailed("the Basic credentials are not base64 of 'id:secret'"
                                   ) from None
    if not sep:
        raise AuthenticationFailed("the Basic credentials are not base64 of 'id:secret'")
    return user, secret


def _upload_items(body: bytes, content_type: str, device_id: str, now: dt.datetime
                  ) -> list[Inbound]:
    media = content_type.split(";")[0].strip().lower()
    if media in EPCIS_TYPES:
        return [Inbound(Source.HTTPS, RecordKind.TELEMETRY_EPCIS, body, now, device_id)]
    if media == NDJSON:
        lines = [line for line in body.splitlines() if line.strip()]
        if len(lines) > MAX_UPLOAD_RECORDS:
            raise InvalidInput(f"{len(lines)} lines in one upload; at most "
                               f"{MAX_UPLOAD_RECORDS}", field="body", value=len(lines))
        return [Inbound(Source.HTTPS, RecordKind.TELEMETRY_JSON, line, now, device_id)
                for line in lines]
    if media == "application/json":
        return [Inbound(Source.HTTPS, RecordKind.TELEMETRY_JSON, body, now, device_id)]
    raise InvalidInput(f"content type {media!r} is not accepted; send application/json "
                       f"(an event or an array), {NDJSON} (one event per line) or "
                       "application/ld+json (an EPCIS 2.0 document)",
                       field="content-type", value=media)


@router.post("/devices/{device_id}/events", status_code=202,
             responses=responses(400, 401, 413, 422))
async def upload_events(device_id: str, request: Request, ctx: Ctx) -> dict[str, Any]:
    """Buffered reports from a device (HTTP Basic: device id and secret). Every payload is
    kept as received, even one that fails validation (it is counted in ``rejected`` with
    its reason); 202 means the batch is committed."""
    user, secret = _device_credentials(request)
    with ctx.sessions() as session:
        ok = await run_in_threadpool(registry.authenticate_device, session, user, secret)
    if not ok or user != device_id:
        raise AuthenticationFailed("unknown device, wrong secret, or another device's path")
    body = await _read_limited(request, ctx.settings.max_upload_bytes)
    items = _upload_items(body, request.headers.get("content-type", ""), device_id,
                          ctx.clock())
    report: BatchReport = await run_in_threadpool(_service(ctx).ingest, items)
    return report.as_dict()


async def _read_limited(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise UploadTooLarge(f"the upload is larger than {limit} bytes", field="body",
                                  value=size)
        chunks.append(chunk)
    return b"".join(chunks)


# ------------------------------------------------------------------------ trips

@router.get("/trips", response_model=list[registry.TripInfo], responses=responses(401, 403, 422))
def trips(ctx: Ctx, actor: Actor,
          status: Annotated[str | None, Query(pattern="^(active|closed)$")] = None,
          declaration: Annotated[str | None, Query(max_length=64)] = None,
          ) -> list[registry.TripInfo]:
    actor.require(Permission.read_transit)
    with ctx.sessions() as session:
        return registry.list_trips(session, status=status, declaration_ref=declaration)


@router.post("/trips", status_code=201, response_model=registry.TripInfo,
             responses=responses(401, 403, 404, 409, 422))
def register_trip(body: dict[str, Any], ctx: Ctx, actor: Actor) -> registry.TripInfo:
    """Put a transit movement under monitoring (the ``Trip`` shape); its device must be
    registered and free, its corridor in the library."""
    return _service(ctx).register_trip(actor, body)


@router.get("/trips/{reference}", response_model=TripState,
            responses=responses(401, 403, 404, 422))
def trip(reference: str, ctx: Ctx, actor: Actor) -> TripState:
    """The trip now: seal state, progress, counters, track (thinned), quarantine."""
    return _service(ctx).trip_state(actor, reference)


@router.post("/trips/{reference}/close", response_model=registry.TripInfo,
             responses=responses(401, 403, 404, 409, 422))
def close_trip(reference: str, ctx: Ctx, actor: Actor) -> registry.TripInfo:
    return _service(ctx).close_trip(actor, reference)


class CommandIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: CommandKind
    seal_id: str | None = Field(None, max_length=64, description="Default: the first seal.")
    office: str | None = Field(None, pattern=r"^[A-Z]{2}[A-Z0-9]{6}$")


@router.post("/trips/{reference}/commands", response_model=CommandReport,
             responses=responses(401, 403, 409, 422))
def command(reference: str, body: CommandIn, ctx: Ctx, actor: Actor) -> CommandReport:
    """A seal command (assign, arm, authorise_opening, reseal, confirm_arrival, disarm);
    ``refused`` says why the seal did not take it (wrong state, outside a zone)."""
    return _service(ctx).command(actor, reference, body.kind, seal_id=body.seal_id,
                                 office=body.office)


@router.get("/trips/{reference}/raw", responses=responses(401, 403, 404, 422))
def raw_log(reference: str, ctx: Ctx, actor: Actor) -> Response:
    """The trip's raw log as JSON lines, the input of ``smartcustoms transit replay``."""
    body = _service(ctx).raw_export(actor, reference)
    return Response(body, media_type=NDJSON, headers={
        "Content-Disposition": f'attachment; filename="{reference}.jsonl"'})


@router.get("/trips/{reference}/epcis", responses=responses(401, 403, 404, 422))
def epcis(reference: str, ctx: Ctx, actor: Actor) -> Response:
    """The trip's events as an EPCIS 2.0 JSON-LD document."""
    trip_, events = _service(ctx).trip_events(actor, reference)
    return Response(export_epcis_json(trip_, events, creation_date=ctx.clock()),
                    media_type="application/ld+json")


# ------------------------------------------------------------------------ alerts

@router.get("/alerts", response_model=list[AlertView], responses=responses(401, 403, 422))
def alerts(ctx: Ctx, actor: Actor,
           trip: Annotated[str | None, Query(max_length=18)] = None,
           open_only: Annotated[bool, Query(alias="open")] = False,
           retracted: bool = False,
           limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AlertView]:
    """Newest first. ``open=true``: the queue (not resolved); ``retracted=true`` also
    lists the alerts late data withdrew."""
    with ctx.sessions() as session:
        return list_alerts(session, actor, trip_ref=trip, open_only=open_only,
                           include_retracted=retracted, limit=limit)


@router.get("/alerts/{alert_id}", response_model=AlertView,
            responses=responses(401, 403, 404, 422))
def alert(alert_id: str, ctx: Ctx, actor: Actor) -> AlertView:
    with ctx.sessions() as session:
        return get_alert(session, actor, alert_id)


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee: str | None = Field(None, max_length=150)
    reason: ResolutionReason | None = None
    note: str = Field("", max_length=2000)


@router.post("/alerts/{alert_id}/{action}", response_model=AlertView,
             responses=responses(401, 403, 404, 409, 422))
def case_step(alert_id: str, action: str, ctx: Ctx, actor: Actor,
              body: CaseIn | None = None) -> AlertView:
    """``acknowledge``, ``assign`` (with ``assignee``) or ``resolve`` (with ``reason``)."""
    body = body or CaseIn()
    return _service(ctx).step_case(actor, alert_id, action, assignee=body.assignee,
                                   reason=body.reason, note=body.note)


@router.get("/alerts/{alert_id}/evidence", responses=responses(401, 403, 404, 422))
def evidence(alert_id: str, ctx: Ctx, actor: Actor) -> Response:
    """The evidence pack (JSON): alert, rule and thresholds, track, events, case."""
    pack = _service(ctx).evidence(actor, alert_id)
    return Response(evidence_json(pack), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="alert-{alert_id}.json"'})


@router.get("/alerts/{alert_id}/evidence.pdf", responses=responses(401, 403, 404, 422))
def evidence_pdf(alert_id: str, ctx: Ctx, actor: Actor) -> Response:
    """The evidence pack as a PDF: the same content, a map of the track, and the SHA-256
    of the JSON pack it was made from."""
    body = _service(ctx).evidence_pdf(actor, alert_id)
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="alert-{alert_id}.pdf"'})
