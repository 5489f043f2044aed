"""Decoders from wire formats to ``TelemetryEvent``: our JSON and GS1 EPCIS 2.0.

Whatever arrives, a decoder returns events or raises ``EventInvalid`` naming the field
path; no ``KeyError``, ``ValueError`` or ``TypeError`` escapes (a hypothesis test feeds
arbitrary JSON).

JSON: an object with the canonical field names (``TelemetryEvent``), or an array of
them (batch upload), datetimes as RFC 3339 with an offset.

EPCIS 2.0 (JSON / JSON-LD): an ``EPCISDocument`` whose ``epcisBody.eventList`` holds
``ObjectEvent``s, or a single ``ObjectEvent``. ``eventTime`` is the device time. Sensor
data sits in ``sensorElementList``: each element has ``sensorMetadata`` (``deviceID``,
``time``) and ``sensorReport`` entries with ``type``, ``value``, ``uom``, optional
``component``. We read ``Temperature`` (CEL, FAH, KEL), ``Speed`` (KMH, MTS, HM),
position as two reports with ``component`` ``latitude`` / ``longitude`` (uom DD), whose
element's ``time`` is the fix time, or else a ``geo:lat,lon`` URI in ``readPoint.id``.
What EPCIS has no term for travels in our extension namespace (prefix ``sc``, see
``epcis.SC_NAMESPACE``): ``sc:deviceSequence``, ``sc:sealStatus``, ``sc:tamperFlags`` on
the event, report type ``sc:BatteryLevel`` (uom P1, percent).
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from smartcustoms.transit.errors import EventInvalid
from smartcustoms.transit.events import (
    SealCommand,
    TelemetryEvent,
    invalid_from,
)

_EVENT_LIST = TypeAdapter(list[TelemetryEvent])
_PLATFORM_ONLY = ("clock_flags", "original_device_time", "original_fix_time")


def _as_bytes(payload: bytes | str) -> bytes:
    if isinstance(payload, str):
        # Lone surrogates cannot be UTF-8; let the JSON parser call the result invalid.
        return payload.encode("utf-8", "surrogatepass")
    return payload


def _refuse_platform_fields(events: list[TelemetryEvent], prefix: str) -> None:
    for i, ev in enumerate(events):
        for name in _PLATFORM_ONLY:
            if getattr(ev, name):
                where = f"{prefix}[{i}].{name}" if prefix else name
                raise EventInvalid(
                    f"{where} is set by the platform's clock check, never by a device",
                    field=where,
                    value=str(getattr(ev, name)),
                )


def decode_json(payload: bytes | str) -> list[TelemetryEvent]:
    """One event (object) or a batch (array) in the canonical JSON shape."""
    data = _as_bytes(payload)
    batch = data.lstrip()[:1] == b"["
    try:
        if batch:
            events = _EVENT_LIST.validate_json(data)
        else:
            events = [TelemetryEvent.model_validate_json(data)]
    except ValidationError as exc:
        raise invalid_from(exc, what="JSON telemetry") from exc
    _refuse_platform_fields(events, "" if not batch else "(batch)")
    return events


def decode_command(payload: bytes | str) -> SealCommand:
    try:
        return SealCommand.model_validate_json(_as_bytes(payload))
    except ValidationError as exc:
        raise invalid_from(exc, what="seal command") from exc


# --- EPCIS 2.0 ----------------------------------------------------------------------


def _fail(path: str, message: str, value: Any = None) -> EventInvalid:
    if isinstance(value, dict | list):
        value = f"<{type(value).__name__}>"
    return EventInvalid(f"{path}: {message}; got {value!r}", field=path, value=value)


def _term(value: object) -> str:
    """A vocabulary term without its prefix: gs1:Temperature, full IRI or bare."""
    if not isinstance(value, str):
        return ""
    for prefix in ("https://gs1.org/voc/", "gs1:", "https://ref.gs1.org/cbv/", "cbv:"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    return value.removeprefix("Component-").removeprefix("MT-")


def _number(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, "must be a number", value)
    try:
        number = float(value)
    except OverflowError as exc:
        raise _fail(path, "is out of range", value) from exc
    if not math.isfinite(number):
        raise _fail(path, "must be finite", value)
    return number


def _time(value: object, path: str) -> datetime:
    if not isinstance(value, str):
        raise _fail(path, "must be an RFC 3339 date-time string", value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _fail(path, "must be an RFC 3339 date-time", value) from exc
    if parsed.tzinfo is None:
        raise _fail(path, "must carry a time-zone offset", value)
    return parsed


def _obj(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, "must be a JSON object", value)
    return value


def _list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(path, "must be a JSON array", value)
    return value


_TEMPERATURE = {"CEL": lambda v: v, "FAH": lambda v: (v - 32.0) * 5.0 / 9.0,
                "KEL": lambda v: v - 273.15}
_SPEED = {"KMH": 1.0, "MTS": 3.6, "HM": 1.609344}
_GEO = re.compile(r"^geo:(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)(?:[;,].*)?$")


def _reports(ev: dict[str, Any], path: str, fields: dict[str, Any]) -> None:
    elements = _list(ev.get("sensorElementList", []), f"{path}.sensorElementList")
    for i, element in enumerate(elements):
        epath = f"{path}.sensorElementList[{i}]"
        element = _obj(element, epath)
        meta = _obj(element.get("sensorMetadata", {}), f"{epath}.sensorMetadata")
        device = meta.get("deviceID")
        if device is not None:
            if not isinstance(device, str):
                raise _fail(f"{epath}.sensorMetadata.deviceID", "must be a string", device)
            if fields.setdefault("device_id", device) != device:
                raise _fail(f"{epath}.sensorMetadata.deviceID",
                            f"differs from the event's device {fields['device_id']!r}", device)
        when = meta.get("time")
        for j, report in enumerate(_list(element.get("sensorReport", []),
                                         f"{epath}.sensorReport")):
            rpath = f"{epath}.sensorReport[{j}]"
            report = _obj(report, rpath)
            kind, component = _term(report.get("type")), _term(report.get("component"))
            uom = report.get("uom")
            if component in ("latitude", "longitude"):
                fields["lat" if component == "latitude" else "lon"] = _number(
                    report.get("value"), f"{rpath}.value")
                if when is not None:
                    fields["fix_time"] = _time(when, f"{epath}.sensorMetadata.time")
            elif kind == "Temperature":
                convert = _TEMPERATURE.get(uom if uom is not None else "CEL")
                if convert is None:
                    raise _fail(f"{rpath}.uom", "must be CEL, FAH or KEL", uom)
                fields["temperature_c"] = convert(_number(report.get("value"), f"{rpath}.value"))
            elif kind == "Speed":
                factor = _SPEED.get(uom if uom is not None else "KMH")
                if factor is None:
                    raise _fail(f"{rpath}.uom", "must be KMH, MTS or HM", uom)
                fields["speed_kmh"] = factor * _number(report.get("value"), f"{rpath}.value")
            elif report.get("type") == "sc:BatteryLevel":
                if uom not in (None, "P1"):
                    raise _fail(f"{rpath}.uom", "must be P1 (percent)", uom)
                fields["battery_pct"] = _number(report.get("value"), f"{rpath}.value")
            # Other sensor types (humidity, illuminance...) are not transit signals.


def _decode_object_event(ev: object, path: str) -> TelemetryEvent:
    ev = _obj(ev, path)
    if ev.get("type") != "ObjectEvent":
        raise _fail(f"{path}.type", "only ObjectEvent carries tracker reports", ev.get("type"))
    fields: dict[str, Any] = {"device_time": _time(ev.get("eventTime"), f"{path}.eventTime")}
    _reports(ev, path, fields)
    if "lat" not in fields and "lon" not in fields:
        read_point = ev.get("readPoint")
        rid = read_point.get("id") if isinstance(read_point, dict) else None
        match = _GEO.match(rid) if isinstance(rid, str) else None
        if match:
            fields["lat"], fields["lon"] = float(match[1]), float(match[2])
    if "sc:deviceSequence" in ev:
        fields["device_seq"] = ev["sc:deviceSequence"]
    if "sc:sealStatus" in ev:
        fields["seal_status"] = ev["sc:sealStatus"]
    if "sc:tamperFlags" in ev:
        fields["tamper_flags"] = ev["sc:tamperFlags"]
    if "device_id" not in fields:
        raise _fail(f"{path}.sensorElementList", "no sensorMetadata.deviceID names the device")
    try:
        # Python-mode validation is strict: coerce the JSON strings we accept here.
        return TelemetryEvent.model_validate_json(orjson.dumps(fields))
    except ValidationError as exc:
        raise invalid_from(exc, what="EPCIS ObjectEvent", prefix=path) from exc
    except TypeError as exc:  # orjson refuses ints beyond 64 bits
        raise _fail(path, "holds a number out of range", None) from exc


def decode_epcis(payload: bytes | str) -> list[TelemetryEvent]:
    """Events from an EPCIS 2.0 JSON(-LD) document or a single ObjectEvent."""
    try:
        doc = orjson.loads(_as_bytes(payload))
    except orjson.JSONDecodeError as exc:
        raise EventInvalid(f"EPCIS document is not JSON: {exc}", field="(document)") from exc
    doc = _obj(doc, "(document)")
    kind = doc.get("type")
    if kind == "ObjectEvent":
        return [_decode_object_event(doc, "(event)")]
    if kind != "EPCISDocument":
        raise _fail("type", "must be EPCISDocument or ObjectEvent", kind)
    body = _obj(doc.get("epcisBody"), "epcisBody")
    events = _list(body.get("eventList"), "epcisBody.eventList")
    return [_decode_object_event(ev, f"epcisBody.eventList[{i}]") for i, ev in enumerate(events)]
