"""Fixtures for the transit tests.

Strategy: a small synthetic corridor (a 100 km straight road east along latitude 1° N,
500 m wide, an office zone at each end and a rest area in the middle) so that positions
are easy to reason about: ``point(km, offset_m)`` places a fix ``km`` along the route
and ``offset_m`` to its left. Events are built with ``make_event`` and fed to a
``TripMonitor`` as JSON payloads, each received ``delay`` after its device time; the
clock is always passed in, never patched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smartcustoms.transit.corridors import Corridor, CorridorGeometry, StopZone, ZoneKind
from smartcustoms.transit.engine import IngestResult, RecordKind, TripMonitor
from smartcustoms.transit.events import CommandKind, SealCommand, TelemetryEvent
from smartcustoms.transit.trips import Trip

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
DEVICE = "ESEAL-TEST-1"
SEAL = "SEAL-TEST-1"

_BARE = CorridorGeometry(Corridor(corridor_id="TEST", name="test", route=((36.0, 1.0), (36.9, 1.0)),
                                  width_m=500))


def _zone(zone_id: str, kind: ZoneKind, km: float, office: str | None) -> StopZone:
    return StopZone(zone_id=zone_id, name=zone_id, kind=kind, centre=_BARE.point_at(km * 1000),
                    radius_m=1000, office=office)


CORRIDOR = Corridor(
    corridor_id="TEST",
    name="Test road",
    route=((36.0, 1.0), (36.9, 1.0)),
    width_m=500,
    zones=(
        _zone("DEP", ZoneKind.CUSTOMS_OFFICE, 0, "KEDEP001"),
        _zone("REST", ZoneKind.REST_AREA, 50, None),
        _zone("DEST", ZoneKind.CUSTOMS_OFFICE, _BARE.length_m / 1000, "KEDST001"),
    ),
    planning_speed_kmh=60,
)


@pytest.fixture(scope="session")
def geometry() -> CorridorGeometry:
    return CorridorGeometry(CORRIDOR)


def make_trip(**overrides: Any) -> Trip:
    fields: dict[str, Any] = {
        "reference": "25KE000000000001X9",
        "declaration_ref": "DEC-1",
        "container_id": "MSCU1234566",
        "seal_ids": (SEAL,),
        "device_id": DEVICE,
        "office_of_departure": "KEDEP001",
        "office_of_destination": "KEDST001",
        "corridor_id": "TEST",
        "departure_at": T0,
        "time_limit": T0 + timedelta(hours=6),
    }
    fields.update(overrides)
    return Trip(**fields)


@pytest.fixture
def trip() -> Trip:
    return make_trip()


@pytest.fixture
def monitor(trip: Trip, geometry: CorridorGeometry) -> TripMonitor:
    return TripMonitor(trip, geometry)


def point(km: float, offset_m: float = 0.0) -> tuple[float, float]:
    return _BARE.point_at(km * 1000, offset_m)


_SEQ = iter(range(10**9))


def make_event(minute: float, km: float | None = None, offset_m: float = 0.0, *,
               speed: float | None = 60.0, seq: int | None = None, **extra: Any) -> TelemetryEvent:
    at = T0 + timedelta(minutes=minute)
    fields: dict[str, Any] = {"device_id": DEVICE, "device_time": at,
                              "device_seq": next(_SEQ) if seq is None else seq}
    if km is not None:
        lon, lat = point(km, offset_m)
        fields.update(lat=lat, lon=lon, fix_time=at, speed_kmh=speed)
    fields.update(extra)
    return TelemetryEvent(**fields)


def payload(event: TelemetryEvent) -> bytes:
    return event.model_dump_json(exclude_none=True, exclude_defaults=True).encode()


def feed(monitor: TripMonitor, events: Iterable[TelemetryEvent],
         delay: timedelta = timedelta(seconds=10)) -> list[IngestResult]:
    return [monitor.receive(payload(e), RecordKind.TELEMETRY_JSON, e.device_time + delay)
            for e in events]


def command(kind: str, minute: float, cid: str | None = None) -> SealCommand:
    return SealCommand(command_id=cid or f"CMD-{kind}-{minute}", kind=CommandKind(kind),
                       officer_id="officer-1", seal_id=SEAL,
                       issued_at=T0 + timedelta(minutes=minute))


def drive(start_min: float, minutes: int, km0: float, kmh: float = 60.0,
          offset: Callable[[int], float] | None = None) -> list[TelemetryEvent]:
    """One report a minute while driving east at ``kmh``."""
    return [make_event(start_min + i, km0 + kmh / 60 * i, offset(i) if offset else 0.0,
                       speed=kmh) for i in range(minutes)]


def halt(start_min: float, minutes: int, km: float) -> list[TelemetryEvent]:
    return [make_event(start_min + i, km, 0.0, speed=0.5) for i in range(minutes)]
