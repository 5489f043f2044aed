"""The evidence pack of an alert: what an officer (or a court) needs to check it.

A JSON document with the alert, the rule and the thresholds it applied, the trip and
corridor references, a track excerpt around the episode (each fix with its distance
from the centreline and progress), and the full canonical events inside the episode.
Built from the monitor's observations only, so it is the same after a replay; keys are
sorted when serialised, so the bytes are stable too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import orjson

from smartcustoms.transit.alerts import Alert
from smartcustoms.transit.corridors import Corridor
from smartcustoms.transit.rules import Obs
from smartcustoms.transit.trips import Trip

PACK_VERSION = "1"


def build_evidence_pack(
    alert: Alert,
    trip: Trip,
    corridor: Corridor,
    observations: Sequence[Obs],
    *,
    margin: timedelta = timedelta(minutes=15),
    max_track_points: int = 500,
) -> dict[str, Any]:
    start = alert.opened_at - margin
    end = (alert.closed_at or alert.raised_at) + margin
    window = [o for o in observations if start <= o.at <= end]
    if len(window) > max_track_points:  # keep the ends and thin the middle evenly
        step = len(window) / max_track_points
        window = [window[int(i * step)] for i in range(max_track_points)]
    track = [
        {
            "device_time": o.at.isoformat(),
            "lat": o.event.lat,
            "lon": o.event.lon,
            "speed_kmh": o.event.speed_kmh,
            "distance_from_centreline_m": round(o.loc.distance_m, 1) if o.loc else None,
            "progress": round(o.loc.progress, 5) if o.loc else None,
            "zone": o.loc.zone.zone_id if o.loc and o.loc.zone else None,
        }
        for o in window
        if o.event is not None
    ]
    episode_end = alert.closed_at or alert.raised_at
    inside = [o for o in observations if alert.opened_at <= o.at <= episode_end]
    return {
        "pack_version": PACK_VERSION,
        "alert": alert.model_dump(mode="json"),
        "rule": {"name": alert.rule, "thresholds": alert.thresholds},
        "trip": {
            "reference": trip.reference,
            "declaration_ref": trip.declaration_ref,
            "container_id": trip.container_id,
            "seal_ids": list(trip.seal_ids),
            "device_id": trip.device_id,
            "office_of_departure": trip.office_of_departure,
            "office_of_destination": trip.office_of_destination,
            "time_limit": trip.time_limit.isoformat(),
            "risk": trip.risk.value,
        },
        "corridor": {
            "corridor_id": corridor.corridor_id,
            "name": corridor.name,
            "width_m": corridor.width_m,
            "synthetic": corridor.synthetic,
        },
        "track": track,
        "events": [o.event.model_dump(mode="json") for o in inside if o.event is not None],
        "commands": [o.command.model_dump(mode="json") for o in inside if o.command is not None],
    }


def evidence_json(pack: dict[str, Any]) -> bytes:
    return orjson.dumps(pack, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
