"""The library of corridors, the registered devices and the trips, in the database.

Service functions in the caller's transaction; each change is audited. Devices get a
secret once, at registration or rotation; only its hash is kept, in Mosquitto's own
format, so the broker's password file is written from ``device_credentials``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcustoms.errors import Conflict, InvalidInput, NotFound
from smartcustoms.identity import Permission, Principal, audit
from smartcustoms.transit._sample_corridors import SAMPLE_CORRIDORS
from smartcustoms.transit.corridors import Corridor, load_corridor
from smartcustoms.transit.credentials import generate_secret, hash_secret, verify_secret
from smartcustoms.transit.tables import TransitCorridorRow, TransitDeviceRow, TransitTripRow
from smartcustoms.transit.trips import Trip, load_trip

DEVICE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{2,63}$"
RESERVED_PREFIX = "smartcustoms"


# --------------------------------------------------------------------------- corridors


def ensure_sample_corridors(session: Session, now: dt.datetime) -> int:
    """Put the synthetic sample corridors in the library (once); returns how many added."""
    have = set(session.scalars(select(TransitCorridorRow.corridor_id)))
    added = 0
    for corridor in SAMPLE_CORRIDORS:
        if corridor.corridor_id not in have:
            session.add(_corridor_row(corridor, now, "system"))
            added += 1
    return added


def add_corridor(session: Session, actor: Principal, data: object, now: dt.datetime
                 ) -> Corridor:
    actor.require(Permission.manage_transit)
    corridor = load_corridor(data)
    if session.get(TransitCorridorRow, corridor.corridor_id) is not None:
        raise Conflict(f"corridor {corridor.corridor_id} is already in the library",
                       field="corridor_id", value=corridor.corridor_id)
    session.add(_corridor_row(corridor, now, actor.username))
    audit.record(session, actor=actor.username, action="transit.corridor.add",
                 entity_type="transit_corridor", entity_id=corridor.corridor_id,
                 detail={"name": corridor.name, "zones": len(corridor.zones)}, now=now)
    return corridor


def _corridor_row(corridor: Corridor, now: dt.datetime, by: str) -> TransitCorridorRow:
    return TransitCorridorRow(corridor_id=corridor.corridor_id, name=corridor.name,
                              spec=corridor.model_dump(mode="json"),
                              synthetic=corridor.synthetic, created_at=now, created_by=by)


def get_corridor(session: Session, corridor_id: str) -> Corridor:
    row = session.get(TransitCorridorRow, corridor_id)
    if row is None:
        raise NotFound(f"no corridor {corridor_id} in the library", field="corridor_id",
                       value=corridor_id)
    return load_corridor(row.spec)


def list_corridors(session: Session) -> list[Corridor]:
    rows = session.scalars(select(TransitCorridorRow).order_by(TransitCorridorRow.corridor_id))
    return [load_corridor(r.spec) for r in rows]


# --------------------------------------------------------------------------- devices


class DeviceInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    device_id: str
    status: str
    description: str
    created_at: dt.datetime
    active_trip: str | None = None


class DeviceSecret(BaseModel):
    """Shown once: the device's MQTT user name and password (also its HTTPS credentials)."""

    device_id: str
    secret: str = Field(description="Store it in the device; it is not kept in clear.")


def register_device(session: Session, actor: Principal, device_id: str, now: dt.datetime,
                    description: str = "") -> DeviceSecret:
    actor.require(Permission.manage_transit)
    _check_device_id(device_id)
    if session.get(TransitDeviceRow, device_id) is not None:
        raise Conflict(f"device {device_id} is already registered", field="device_id",
                       value=device_id)
    secret = generate_secret()
    session.add(TransitDeviceRow(device_id=device_id, secret_hash=hash_secret(secret),
                                 status="active", description=description, created_at=now,
                                 updated_at=now))
    audit.record(session, actor=actor.username, action="transit.device.register",
                 entity_type="transit_device", entity_id=device_id,
                 detail={"description": description}, now=now)
    return DeviceSecret(device_id=device_id, secret=secret)


def rotate_device_secret(session: Session, actor: Principal, device_id: str,
                         now: dt.datetime) -> DeviceSecret:
    actor.require(Permission.manage_transit)
    row = _device(session, device_id)
    secret = generate_secret()
    row.secret_hash = hash_secret(secret)
    row.updated_at = now
    audit.record(session, actor=actor.username, action="transit.device.rotate",
                 entity_type="transit_device", entity_id=device_id, detail={}, now=now)
    return DeviceSecret(device_id=device_id, secret=secret)


def set_device_status(session: Session, actor: Principal, device_id: str, active: bool,
                      now: dt.datetime) -> DeviceInfo:
    actor.require(Permission.manage_transit)
    row = _device(session, device_id)
    row.status = "active" if active else "disabled"
    row.updated_at = now
    audit.record(session, actor=actor.username, action="transit.device.status",
                 entity_type="transit_device", entity_id=device_id,
                 detail={"status": row.status}, now=now)
    return _device_info(session, row)


def list_devices(session: Session) -> list[DeviceInfo]:
    rows = session.scalars(select(TransitDeviceRow).order_by(TransitDeviceRow.device_id))
    return [_device_info(session, r) for r in rows]


def device_credentials(session: Session) -> list[tuple[str, str]]:
    """(user name, hash) of every active device: the broker's password file."""
    rows = session.execute(select(TransitDeviceRow.device_id, TransitDeviceRow.secret_hash)
                           .where(TransitDeviceRow.status == "active")
                           .order_by(TransitDeviceRow.device_id))
    return [(d, h) for d, h in rows]


def authenticate_device(session: Session, device_id: str, secret: str) -> bool:
    """For the HTTPS upload; a disabled or unknown device fails like a wrong secret."""
    row = session.get(TransitDeviceRow, device_id)
    if row is None or row.status != "active":
        verify_secret(secret, _DUMMY_HASH)  # same work either way: no user enumeration
        return False
    return verify_secret(secret, row.secret_hash)


_DUMMY_HASH = hash_secret("not-a-device-secret", salt=b"\0" * 12)


def _check_device_id(device_id: str) -> None:
    if not re.fullmatch(DEVICE_ID_PATTERN, device_id):
        raise InvalidInput(
            f"device_id {device_id!r} is not valid: 3-64 characters, letters, digits and "
            "._:- (it is also the MQTT user name and topic level)",
            field="device_id", value=device_id)
    if device_id.lower().startswith(RESERVED_PREFIX):
        # The platform's own MQTT users (the intake) carry this prefix; a device named
        # like one would share its broker account.
        raise InvalidInput(f"device_id {device_id!r}: ids starting with {RESERVED_PREFIX!r} "
                           "are reserved for the platform", field="device_id",
                           value=device_id)


def _device(session: Session, device_id: str) -> TransitDeviceRow:
    row = session.get(TransitDeviceRow, device_id)
    if row is None:
        raise NotFound(f"no device {device_id}", field="device_id", value=device_id)
    return row


def _device_info(session: Session, row: TransitDeviceRow) -> DeviceInfo:
    trip = session.scalar(select(TransitTripRow.reference).where(
        TransitTripRow.device_id == row.device_id, TransitTripRow.status == "active"))
    return DeviceInfo(device_id=row.device_id, status=row.status, description=row.description,
                      created_at=row.created_at, active_trip=trip)


# --------------------------------------------------------------------------- trips


class TripInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    trip: Trip
    status: str
    registered_at: dt.datetime
    registered_by: str
    closed_at: dt.datetime | None = None


def insert_trip(session: Session, actor: Principal, data: object, now: dt.datetime
                ) -> tuple[Trip, Corridor]:
    """Validate and store a new trip; the device must be free and the corridor known."""
    actor.require(Permission.manage_transit)
    trip = load_trip(data)
    if session.get(TransitTripRow, trip.reference) is not None:
        raise Conflict(f"trip {trip.reference} is already registered", field="reference",
                       value=trip.reference)
    device = session.get(TransitDeviceRow, trip.device_id)
    if device is None or device.status != "active":
        raise Conflict(f"device {trip.device_id} is not a registered active device",
                       field="device_id", value=trip.device_id)
    busy = session.scalar(select(TransitTripRow.reference).where(
        TransitTripRow.device_id == trip.device_id, TransitTripRow.status == "active"))
    if busy is not None:
        raise Conflict(f"device {trip.device_id} is already monitoring trip {busy}; close "
                       "that trip first", field="device_id", value=trip.device_id)
    corridor = get_corridor(session, trip.corridor_id)
    session.add(TransitTripRow(reference=trip.reference, declaration_ref=trip.declaration_ref,
                               device_id=trip.device_id, corridor_id=trip.corridor_id,
                               spec=trip.model_dump(mode="json"), status="active",
                               registered_at=now, registered_by=actor.username))
    audit.record(session, actor=actor.username, action="transit.trip.register",
                 entity_type="transit_trip", entity_id=trip.reference,
                 detail={"device_id": trip.device_id, "corridor_id": trip.corridor_id,
                         "declaration_ref": trip.declaration_ref}, now=now)
    return trip, corridor


def mark_trip_closed(session: Session, actor: Principal, reference: str, now: dt.datetime
                     ) -> TransitTripRow:
    actor.require(Permission.manage_transit)
    row = trip_row(session, reference)
    if row.status != "active":
        raise Conflict(f"trip {reference} is already closed", field="reference",
                       value=reference)
    row.status, row.closed_at, row.closed_by = "closed", now, actor.username
    audit.record(session, actor=actor.username, action="transit.trip.close",
                 entity_type="transit_trip", entity_id=reference, detail={}, now=now)
    return row


def trip_row(session: Session, reference: str) -> TransitTripRow:
    row = session.get(TransitTripRow, reference)
    if row is None:
        raise NotFound(f"no trip {reference}", field="reference", value=reference)
    return row


def trip_info(row: TransitTripRow) -> TripInfo:
    return TripInfo(trip=load_trip(row.spec), status=row.status,
                    registered_at=row.registered_at, registered_by=row.registered_by,
                    closed_at=row.closed_at)


def list_trips(session: Session, *, status: str | None = None,
               declaration_ref: str | None = None) -> list[TripInfo]:
    query = select(TransitTripRow).order_by(TransitTripRow.registered_at.desc(),
                                            TransitTripRow.reference)
    if status:
        query = query.where(TransitTripRow.status == status)
    if declaration_ref:
        query = query.where(TransitTripRow.declaration_ref == declaration_ref)
    return [trip_info(r) for r in session.scalars(query)]


def active_trips(session: Session) -> Sequence[TransitTripRow]:
    return session.scalars(select(TransitTripRow).where(TransitTripRow.status == "active")
                           .order_by(TransitTripRow.reference)).all()


def trips_sharing_seals(session: Session, seal_ids: Iterable[str]) -> list[Trip]:
    """Active trips that carry any of these seals (for the duplicate-seal-use check)."""
    wanted = set(seal_ids)
    return [t for t in (load_trip(r.spec) for r in active_trips(session))
            if wanted.intersection(t.seal_ids)]
