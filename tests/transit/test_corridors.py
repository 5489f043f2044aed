"""Corridor geometry: the local projection's error bound, distances, progress, zones."""

from __future__ import annotations

import math

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.transit._sample_corridors import SAMPLE_CORRIDORS
from smartcustoms.transit.corridors import (
    Corridor,
    CorridorGeometry,
    LocalProjection,
    _project,
    haversine_m,
    load_corridor,
)
from smartcustoms.transit.errors import CorridorInvalid

from .conftest import point


@settings(max_examples=200, deadline=None)
@given(st.floats(-60, 60), st.floats(-170, 170), st.floats(0, 2 * math.pi),
       st.floats(1_000, 1_000_000), st.floats(0, 2 * math.pi), st.floats(100, 5_000))
def test_projection_error_within_the_documented_bound(
    lat0: float, lon0: float, bearing: float, reach: float, heading: float, step: float
) -> None:
    """A short segment anywhere within 1,000 km of the centre keeps its length to 1 %."""
    proj = LocalProjection(lon0, lat0)
    ax, ay = reach * math.cos(bearing), reach * math.sin(bearing)
    bx, by = ax + step * math.cos(heading), ay + step * math.sin(heading)
    (alon, alat), (blon, blat) = proj.inverse(ax, ay), proj.inverse(bx, by)
    true = haversine_m(alon, alat, blon, blat)
    assert abs(math.hypot(bx - ax, by - ay) - true) <= 0.005 * true + 0.01
    x, y = proj.forward(alon, alat)
    assert math.hypot(x - ax, y - ay) < 0.01  # inverse and forward agree


def test_locate_distance_progress_and_zone(geometry: CorridorGeometry) -> None:
    where = geometry.locate(*point(25.0, 800.0))
    assert where.distance_m == pytest.approx(800.0, abs=2.0)
    assert where.outside_m == pytest.approx(300.0, abs=2.0)
    assert where.progress == pytest.approx(25_000 / geometry.length_m, abs=1e-4)
    assert where.zone is None
    assert geometry.locate(*point(50.0, 300.0)).zone.zone_id == "REST"  # type: ignore[union-attr]


def test_invalid_corridor_names_the_field() -> None:
    with pytest.raises(CorridorInvalid, match="width_m"):
        load_corridor({"corridor_id": "X", "name": "x", "route": [[0, 0], [1, 1]], "width_m": 5})
    with pytest.raises(CorridorInvalid, match="route"):
        load_corridor({"corridor_id": "X", "name": "x", "route": [[0, 0]], "width_m": 500})


def test_sample_corridors_are_marked_synthetic() -> None:
    for corridor in SAMPLE_CORRIDORS:
        assert corridor.synthetic and "Synthetic" in corridor.note
        length = CorridorGeometry(corridor).length_m
        assert 500_000 < length < 1_500_000


_coord = st.floats(min_value=-0.5, max_value=0.5, allow_nan=False)


@given(route=st.lists(st.tuples(_coord, _coord), min_size=2, max_size=20, unique=True),
       points=st.lists(st.tuples(_coord, _coord), min_size=1, max_size=10))
@settings(max_examples=200, deadline=None)
def test_python_projection_agrees_with_geos(route: list[tuple[float, float]],
                                            points: list[tuple[float, float]]) -> None:
    """Short routes are projected in plain Python; GEOS is the reference."""
    route = [(36.0 + lon, 1.0 + lat) for lon, lat in route]
    try:
        geometry = CorridorGeometry(Corridor(corridor_id="P", name="p", route=tuple(route),
                                             width_m=100))
    except CorridorInvalid:  # zero-length route
        return
    assert geometry._segments is not None
    for lon, lat in points:
        x, y = geometry.projection.forward(36.0 + lon, 1.0 + lat)
        d, along = _project(geometry._segments, x, y)
        pt = shapely.Point(x, y)
        assert d == pytest.approx(shapely.distance(geometry.line, pt), abs=1e-6)
        # Along the line, equally near points on two segments may differ; compare the
        # points they name, which must both be nearest.
        mine = geometry.line.interpolate(along)
        assert shapely.distance(mine, pt) == pytest.approx(d, abs=1e-6)


def test_corridor_thresholds_override_the_defaults_and_are_checked() -> None:
    base = SAMPLE_CORRIDORS[0].model_dump()
    poor_coverage = load_corridor({**base, "thresholds": {"silence_s": 3600}})
    trip_risk_medium = CorridorGeometry(poor_coverage)
    assert trip_risk_medium.corridor.thresholds == {"silence_s": 3600}
    with pytest.raises(CorridorInvalid, match="not a rule threshold"):
        load_corridor({**base, "thresholds": {"silence": 3600}})
    with pytest.raises(CorridorInvalid, match="must be positive"):
        load_corridor({**base, "thresholds": {"silence_s": 0}})


def test_corridors_hash_by_value_thresholds_included() -> None:
    base = SAMPLE_CORRIDORS[0]
    same = load_corridor(base.model_dump())
    patient = load_corridor({**base.model_dump(), "thresholds": {"silence_s": 3600}})
    assert hash(same) == hash(base) and same == base
    assert len({base, same, patient}) == 2
