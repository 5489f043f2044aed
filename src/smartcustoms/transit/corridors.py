"""Gazetted transit corridors: a route line with a width and authorised stop zones.

Geometry is done in metres on a local azimuthal equidistant projection (spherical, mean
Earth radius) centred on the corridor's vertex centroid. Why this and its error bound:
distances from the centre are exact on the sphere; in the other direction the scale is
``(ρ/R) / sin(ρ/R)``, i.e. about ``1 + ρ²/6R²``: +0.10 % at 500 km from the centre,
+0.41 % at 1,000 km. The sphere itself differs from WGS 84 by at most about ±0.5 % in
scale. So for corridors reaching up to 1,000 km from their centroid, a lateral distance
is off by under 1 %: 5 m on a 500 m corridor edge, far inside GNSS noise and the 100 m
exit margin of the deviation rule. Progress along the route is a fraction, where a
common scale error cancels. Longer corridors should be cut into legs. Routes crossing
the antimeridian are refused (the centroid would be meaningless).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import StrEnum

import shapely
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from smartcustoms.transit.errors import CorridorInvalid
from smartcustoms.transit.events import explain_validation

EARTH_RADIUS_M = 6_371_008.8


class LocalProjection:
    """Spherical azimuthal equidistant projection around (lon0, lat0); x east, y north."""

    __slots__ = ("_cos0", "_sin0", "lat0", "lon0")

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0 = lon0
        self.lat0 = lat0
        phi0 = math.radians(lat0)
        self._sin0 = math.sin(phi0)
        self._cos0 = math.cos(phi0)

    def forward(self, lon: float, lat: float) -> tuple[float, float]:
        phi = math.radians(lat)
        dlam = math.radians(lon - self.lon0)
        sin_phi, cos_phi = math.sin(phi), math.cos(phi)
        cos_dlam = math.cos(dlam)
        cos_c = self._sin0 * sin_phi + self._cos0 * cos_phi * cos_dlam
        c = math.acos(max(-1.0, min(1.0, cos_c)))
        k = c / math.sin(c) if c > 1e-9 else 1.0
        x = EARTH_RADIUS_M * k * cos_phi * math.sin(dlam)
        y = EARTH_RADIUS_M * k * (self._cos0 * sin_phi - self._sin0 * cos_phi * cos_dlam)
        return x, y

    def inverse(self, x: float, y: float) -> tuple[float, float]:
        rho = math.hypot(x, y)
        if rho < 1e-9:
            return self.lon0, self.lat0
        c = rho / EARTH_RADIUS_M
        sin_c, cos_c = math.sin(c), math.cos(c)
        phi = math.asin(cos_c * self._sin0 + y * sin_c * self._cos0 / rho)
        lam = math.atan2(x * sin_c, rho * self._cos0 * cos_c - y * self._sin0 * sin_c)
        return self.lon0 + math.degrees(lam), math.degrees(phi)


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


class ZoneKind(StrEnum):
    CUSTOMS_OFFICE = "customs_office"
    BORDER_CROSSING = "border_crossing"
    REST_AREA = "rest_area"


_FROZEN = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
LonLat = tuple[float, float]


class StopZone(BaseModel):
    """An authorised stop zone: a polygon (lon/lat ring) or a circle (centre, radius)."""

    model_config = _FROZEN

    zone_id: str = Field(min_length=1, max_length=64)
    name: str
    kind: ZoneKind
    polygon: tuple[LonLat, ...] | None = None
    centre: LonLat | None = None
    radius_m: float | None = Field(None, gt=0, le=50_000)
    office: str | None = Field(None, description="Customs office reference, if any.")

    @model_validator(mode="after")
    def _one_shape(self) -> StopZone:
        if (self.polygon is None) == (self.centre is None):
            raise ValueError("give either polygon or centre with radius_m, not both")
        if self.centre is not None and self.radius_m is None:
            raise ValueError("a circular zone needs radius_m")
        if self.polygon is not None and len(self.polygon) < 3:
            raise ValueError("a polygon needs at least 3 points")
        return self

    @property
    def allows_opening(self) -> bool:
        # Only where an officer is present may a seal be opened lawfully.
        return self.kind in (ZoneKind.CUSTOMS_OFFICE, ZoneKind.BORDER_CROSSING)

    @property
    def is_office(self) -> bool:
        return self.allows_opening


class Corridor(BaseModel):
    """A gazetted route: ``route`` (lon, lat) buffered by ``width_m`` on each side."""

    model_config = _FROZEN

    corridor_id: str = Field(min_length=1, max_length=64)
    name: str
    route: tuple[LonLat, ...] = Field(min_length=2)
    width_m: float = Field(ge=50, le=20_000, description="Allowed distance from the centreline.")
    zones: tuple[StopZone, ...] = ()
    planning_speed_kmh: float = Field(60.0, gt=5, le=130)
    synthetic: bool = Field(
        True, description="True for invented sample routes, never for a gazetted one."
    )
    note: str = ""
    thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="Rule thresholds for this corridor, over the defaults (e.g. a longer "
        "silence_s where coverage is poor); the trip's risk level then scales durations.",
    )

    def __hash__(self) -> int:
        # Frozen models hash every field; a dict cannot be hashed, its items can.
        return hash((self.corridor_id, self.name, self.route, self.width_m, self.zones,
                     self.planning_speed_kmh, self.synthetic, self.note,
                     tuple(sorted(self.thresholds.items()))))

    @model_validator(mode="after")
    def _known_thresholds(self) -> Corridor:
        from smartcustoms.transit.rules import Thresholds  # rules builds on this module

        known = Thresholds.__dataclass_fields__
        for name, value in self.thresholds.items():
            if name not in known:
                raise ValueError(f"thresholds.{name} is not a rule threshold; known: "
                                 + ", ".join(sorted(known)))
            if not value > 0:
                raise ValueError(f"thresholds.{name} must be positive, got {value}")
        return self

    @model_validator(mode="after")
    def _sane_route(self) -> Corridor:
        for i, (lon, lat) in enumerate(self.route):
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError(f"route[{i}] ({lon}, {lat}) is not a lon/lat pair")
        lons = [p[0] for p in self.route]
        if max(lons) - min(lons) > 180:
            raise ValueError("routes crossing the antimeridian are not supported")
        ids = [z.zone_id for z in self.zones]
        if len(set(ids)) != len(ids):
            raise ValueError("zone ids must be unique")
        return self


def load_corridor(data: object) -> Corridor:
    try:
        return Corridor.model_validate(data)
    except ValidationError as exc:
        errors = explain_validation(exc)
        raise CorridorInvalid(
            "corridor: " + "; ".join(str(e) for e in errors), errors=errors
        ) from exc


@dataclass(frozen=True, slots=True)
class Location:
    """Where a fix lies relative to the corridor."""

    x: float
    y: float
    distance_m: float  # to the centreline
    outside_m: float  # beyond the corridor edge, 0 inside
    progress: float  # fraction of route length, 0..1
    zone: StopZone | None


class _ZoneShape:
    __slots__ = ("circle", "geom", "zone")

    def __init__(self, zone: StopZone, proj: LocalProjection) -> None:
        self.zone = zone
        self.circle: tuple[float, float, float] | None = None
        self.geom: shapely.Polygon | None = None
        if zone.centre is not None and zone.radius_m is not None:
            cx, cy = proj.forward(*zone.centre)
            self.circle = (cx, cy, zone.radius_m)
        else:
            assert zone.polygon is not None
            poly = shapely.Polygon([proj.forward(lon, lat) for lon, lat in zone.polygon])
            shapely.prepare(poly)
            self.geom = poly

    def contains(self, x: float, y: float) -> bool:
        if self.circle is not None:
            cx, cy, r = self.circle
            return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
        return bool(shapely.contains_xy(self.geom, x, y))


_PYTHON_MAX_VERTICES = 48
# (start x, start y, dx, dy, squared length, length, distance along the route at start)
_Segment = tuple[float, float, float, float, float, float, float]


def _segments(pts: list[tuple[float, float]]) -> list[_Segment]:
    out: list[_Segment] = []
    along = 0.0
    for (ax, ay), (bx, by) in itertools.pairwise(pts):
        dx, dy = bx - ax, by - ay
        sq = dx * dx + dy * dy
        if sq == 0.0:  # a repeated vertex adds nothing
            continue
        length = math.sqrt(sq)
        out.append((ax, ay, dx, dy, sq, length, along))
        along += length
    return out


def _project(segments: list[_Segment], x: float, y: float) -> tuple[float, float]:
    """(distance to the line, distance along it of the nearest point), like GEOS: the
    first of equally near segments wins."""
    best_sq = math.inf
    best_along = 0.0
    for ax, ay, dx, dy, sq, length, along in segments:
        t = ((x - ax) * dx + (y - ay) * dy) / sq
        t = 0.0 if t < 0.0 else 1.0 if t > 1.0 else t
        ex, ey = x - (ax + t * dx), y - (ay + t * dy)
        d_sq = ex * ex + ey * ey
        if d_sq < best_sq:
            best_sq, best_along = d_sq, along + t * length
    return math.sqrt(best_sq), best_along


class CorridorGeometry:
    """A corridor compiled to metres; build once per corridor, share between trips."""

    def __init__(self, corridor: Corridor) -> None:
        self.corridor = corridor
        lons = [p[0] for p in corridor.route]
        lats = [p[1] for p in corridor.route]
        self.projection = LocalProjection(sum(lons) / len(lons), sum(lats) / len(lats))
        pts = [self.projection.forward(lon, lat) for lon, lat in corridor.route]
        self.line = shapely.LineString(pts)
        if self.line.length <= 0:
            raise CorridorInvalid(
                f"corridor {corridor.corridor_id} route has zero length", field="route"
            )
        shapely.prepare(self.line)
        self.length_m = float(self.line.length)
        self._zones = [_ZoneShape(z, self.projection) for z in corridor.zones]
        # Short routes are projected onto in plain Python: for a few dozen segments that
        # is several times faster than a GEOS call's overhead per fix. Long (surveyed)
        # routes go to GEOS, whose cost grows far more slowly with their length.
        self._segments = _segments(pts) if len(pts) <= _PYTHON_MAX_VERTICES else None

    def zone(self, zone_id: str) -> StopZone:
        for shape in self._zones:
            if shape.zone.zone_id == zone_id:
                return shape.zone
        raise CorridorInvalid(f"corridor has no zone {zone_id!r}", field="zone_id", value=zone_id)

    def zone_at_xy(self, x: float, y: float) -> StopZone | None:
        for shape in self._zones:
            if shape.contains(x, y):
                return shape.zone
        return None

    def locate(self, lon: float, lat: float) -> Location:
        x, y = self.projection.forward(lon, lat)
        if self._segments is not None:
            d, along = _project(self._segments, x, y)
        else:
            pt = shapely.Point(x, y)
            d = float(shapely.distance(self.line, pt))
            along = float(shapely.line_locate_point(self.line, pt))
        return Location(
            x=x,
            y=y,
            distance_m=d,
            outside_m=max(0.0, d - self.corridor.width_m),
            progress=along / self.length_m,
            zone=self.zone_at_xy(x, y),
        )

    def point_at(self, distance_m: float, offset_m: float = 0.0) -> tuple[float, float]:
        """(lon, lat) at a distance along the route, shifted left by ``offset_m``."""
        d = min(max(distance_m, 0.0), self.length_m)
        a = self.line.interpolate(max(0.0, d - 1.0))
        b = self.line.interpolate(min(self.length_m, d + 1.0))
        p = self.line.interpolate(d)
        dx, dy = b.x - a.x, b.y - a.y
        norm = math.hypot(dx, dy) or 1.0
        x = p.x - dy / norm * offset_m
        y = p.y + dx / norm * offset_m
        return self.projection.inverse(x, y)
