"""Export a trip's events as a GS1 EPCIS 2.0 JSON-LD document.

Each report becomes an ``ObjectEvent`` (action OBSERVE, bizStep ``transporting``,
disposition ``in_transit``) about the container, with the MRN as a business
transaction, the position as a ``geo:`` URI read point and as latitude / longitude
sensor reports (element time = fix time), and speed, temperature and battery as sensor
reports. Seal status, tamper flags and the device's sequence number have no EPCIS term
and use our extension namespace. ``decode.decode_epcis`` reads the result back to the
same events (a test holds the round trip).

Identifiers for containers and MRNs are URNs of our own (``urn:smartcustoms:...``):
ISO 6346 container codes and MRNs have no EPC scheme. ``eventID`` is a UUID-shaped
digest of the event content, stable across exports; it is not the EPCIS 2.0 canonical
event hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson

from smartcustoms.transit.events import TelemetryEvent
from smartcustoms.transit.trips import Trip

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
SC_NAMESPACE = "https://w3id.org/smartcustoms/transit#"


def _event_id(event: TelemetryEvent) -> str:
    digest = hashlib.sha256(event.content_hash().encode()).hexdigest()
    return f"urn:uuid:{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def _offset(value: datetime) -> str:
    delta = value.utcoffset()
    minutes = int(delta.total_seconds() // 60) if delta is not None else 0
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _object_event(trip: Trip, ev: TelemetryEvent) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventID": _event_id(ev),
        "eventTime": ev.device_time.isoformat(),
        "eventTimeZoneOffset": _offset(ev.device_time),
        "epcList": [f"urn:smartcustoms:container:{trip.container_id}"],
        "action": "OBSERVE",
        "bizStep": "transporting",
        "disposition": "in_transit",
        "bizTransactionList": [
            {"type": "sc:mrn", "bizTransaction": f"urn:smartcustoms:mrn:{trip.reference}"}
        ],
    }
    moving: list[dict[str, Any]] = []
    if ev.lat is not None and ev.lon is not None:
        out["readPoint"] = {"id": f"geo:{ev.lat!r},{ev.lon!r}"}
        moving += [
            {"type": "sc:Position", "component": "latitude", "value": ev.lat, "uom": "DD"},
            {"type": "sc:Position", "component": "longitude", "value": ev.lon, "uom": "DD"},
        ]
    if ev.speed_kmh is not None:
        moving.append({"type": "gs1:Speed", "value": ev.speed_kmh, "uom": "KMH"})
    cargo: list[dict[str, Any]] = []
    if ev.temperature_c is not None:
        cargo.append({"type": "gs1:Temperature", "value": ev.temperature_c, "uom": "CEL"})
    if ev.battery_pct is not None:
        cargo.append({"type": "sc:BatteryLevel", "value": ev.battery_pct, "uom": "P1"})
    elements: list[dict[str, Any]] = []
    gnss_meta: dict[str, Any] = {"deviceID": ev.device_id}
    if ev.fix_time is not None:
        gnss_meta["time"] = ev.fix_time.isoformat()
    if moving:
        elements.append({"sensorMetadata": gnss_meta, "sensorReport": moving})
    elements.append({
        "sensorMetadata": {"deviceID": ev.device_id, "time": ev.device_time.isoformat()},
        "sensorReport": cargo,
    })
    out["sensorElementList"] = elements
    if ev.device_seq is not None:
        out["sc:deviceSequence"] = ev.device_seq
    if ev.seal_status is not None:
        out["sc:sealStatus"] = ev.seal_status.value
    if ev.tamper_flags:
        out["sc:tamperFlags"] = [f.value for f in ev.tamper_flags]
    return out


def export_epcis(
    trip: Trip, events: Iterable[TelemetryEvent], *, creation_date: datetime
) -> dict[str, Any]:
    """An EPCISDocument for the trip; the caller passes the creation time (no clock here)."""
    return {
        "@context": [EPCIS_CONTEXT, {"sc": SC_NAMESPACE}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": creation_date.isoformat(),
        "epcisBody": {"eventList": [_object_event(trip, ev) for ev in events]},
    }


def export_epcis_json(
    trip: Trip, events: Iterable[TelemetryEvent], *, creation_date: datetime
) -> bytes:
    return orjson.dumps(export_epcis(trip, events, creation_date=creation_date))
