"""Three sample corridors over real geography, for tests, demos and benchmarks.

SYNTHETIC: the waypoints are rounded town coordinates along well-known trunk roads,
typed in by hand; they are not surveyed, not the gazetted routes, and the zones
(offices, rest areas, with their codes) are invented. Do not use them for control.
"""

from __future__ import annotations

from smartcustoms.transit.corridors import Corridor, CorridorGeometry, StopZone, ZoneKind

_NOTE = "Synthetic sample: hand-typed approximate waypoints and invented zones."

# (lon, lat) pairs.
_NORTHERN = (  # Mombasa port - Nairobi - Nakuru - Eldoret - Malaba border (Kenya)
    (39.6530, -4.0580), (39.4700, -3.8600), (38.5600, -3.4000), (38.1700, -2.6900),
    (37.4700, -2.0800), (36.9800, -1.4500), (36.8200, -1.3000), (36.4300, -0.7200),
    (36.0700, -0.3000), (35.2700, 0.5100), (34.2800, 0.6350),
)
_CENTRAL = (  # Dar es Salaam port - Morogoro - Dodoma - Singida - Nzega - Rusumo (Tanzania)
    (39.2800, -6.8200), (38.3500, -6.6400), (37.6600, -6.8200), (35.7400, -6.1700),
    (34.7500, -4.8200), (33.1800, -4.2100), (32.6000, -3.8400), (30.7800, -2.3800),
)
_TEMA_PAGA = (  # Tema port - Kumasi - Techiman - Tamale - Bolgatanga - Paga (Ghana)
    (-0.0170, 5.6400), (-0.3500, 5.8000), (-0.4600, 6.2800), (-1.6200, 6.6900),
    (-1.9400, 7.5900), (-1.7300, 8.0600), (-0.8500, 9.4000), (-0.8500, 10.7900),
    (-1.1100, 10.9900),
)

# (zone_id, name, kind, fraction of the route, radius m, office code)
_ZoneSpec = tuple[str, str, ZoneKind, float, float, str | None]


def _corridor(
    corridor_id: str, name: str, route: tuple[tuple[float, float], ...], width_m: float,
    zones: list[_ZoneSpec],
) -> Corridor:
    bare = CorridorGeometry(Corridor(corridor_id=corridor_id, name=name, route=route,
                                     width_m=width_m))
    built = [
        StopZone(zone_id=zid, name=zname, kind=kind, office=office, radius_m=radius,
                 centre=bare.point_at(fraction * bare.length_m))
        for zid, zname, kind, fraction, radius, office in zones
    ]
    return Corridor(corridor_id=corridor_id, name=name, route=route, width_m=width_m,
                    zones=tuple(built), planning_speed_kmh=60.0, synthetic=True, note=_NOTE)


OFFICE, BORDER, REST = ZoneKind.CUSTOMS_OFFICE, ZoneKind.BORDER_CROSSING, ZoneKind.REST_AREA

SAMPLE_CORRIDORS: tuple[Corridor, ...] = (
    _corridor("SYN-KE-NORTHERN", "Mombasa - Malaba (synthetic)", _NORTHERN, 500.0, [
        ("KE-MSA-PORT", "Mombasa port office", OFFICE, 0.0, 1500.0, "KEMSA001"),
        ("KE-REST-1", "Mtito Andei rest area", REST, 0.32, 800.0, None),
        ("KE-NBO-ICD", "Nairobi inland depot", OFFICE, 0.52, 1500.0, "KENBO001"),
        ("KE-REST-2", "Nakuru rest area", REST, 0.68, 800.0, None),
        ("KE-MLB-BRD", "Malaba border office", BORDER, 1.0, 1500.0, "KEMLB001"),
    ]),
    _corridor("SYN-TZ-CENTRAL", "Dar es Salaam - Rusumo (synthetic)", _CENTRAL, 600.0, [
        ("TZ-DAR-PORT", "Dar es Salaam port office", OFFICE, 0.0, 1500.0, "TZDAR001"),
        ("TZ-REST-1", "Morogoro rest area", REST, 0.33, 800.0, None),
        ("TZ-DOD-OFF", "Dodoma customs office", OFFICE, 0.50, 1500.0, "TZDOD001"),
        ("TZ-REST-2", "Nzega rest area", REST, 0.70, 800.0, None),
        ("TZ-RSM-BRD", "Rusumo border office", BORDER, 1.0, 1500.0, "TZRSM001"),
    ]),
    _corridor("SYN-GH-TEMA-PAGA", "Tema - Paga (synthetic)", _TEMA_PAGA, 400.0, [
        ("GH-TEM-PORT", "Tema port office", OFFICE, 0.0, 1500.0, "GHTEM001"),
        ("GH-REST-1", "Kumasi rest area", REST, 0.30, 800.0, None),
        ("GH-KIN-OFF", "Kintampo customs post", OFFICE, 0.50, 1500.0, "GHKIN001"),
        ("GH-REST-2", "Tamale rest area", REST, 0.71, 800.0, None),
        ("GH-PAG-BRD", "Paga border office", BORDER, 1.0, 1500.0, "GHPAG001"),
    ]),
)


def sample_corridor(corridor_id: str) -> Corridor:
    for corridor in SAMPLE_CORRIDORS:
        if corridor.corridor_id == corridor_id:
            return corridor
    raise KeyError(corridor_id)
