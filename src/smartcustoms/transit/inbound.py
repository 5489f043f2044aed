"""What an intake adapter hands to the transit service: payloads as received, unjudged.

The MQTT subscriber and the HTTPS batch upload both turn what they receive into
``Inbound`` items and pass a batch to a ``Sink``. The sink returns only once the batch is
committed to the raw log, so an adapter may then acknowledge it (MQTT PUBACK, HTTP 2xx):
nothing acknowledged is ever lost, and what was not acknowledged is sent again and
counted as a duplicate.

Topics: a device publishes to ``smartcustoms/v1/devices/<device_id>/<format>`` where
format is ``json`` (the canonical event or an array of them) or ``epcis`` (an EPCIS 2.0
document). The broker's ACL lets a device write only under its own id; the intake reads
``smartcustoms/v1/devices/+/+``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from smartcustoms.transit.engine import RecordKind

TOPIC_PREFIX = "smartcustoms/v1/devices"
TOPIC_FORMATS: dict[str, RecordKind] = {
    "json": RecordKind.TELEMETRY_JSON,
    "epcis": RecordKind.TELEMETRY_EPCIS,
}


class Source(StrEnum):
    MQTT = "mqtt"
    HTTPS = "https"
    OFFICER = "officer"  # seal commands from the console, API or CLI
    CLOCK = "clock"  # the service's evaluation ticks


@dataclass(frozen=True, slots=True)
class Inbound:
    """One payload as received; ``device_id`` is who the transport authenticated.

    Telemetry is routed to the active trip of its device; commands and ticks name their
    trip (``trip_ref``)."""

    source: Source
    kind: RecordKind
    payload: bytes
    received_at: datetime
    device_id: str | None = None
    trip_ref: str | None = None


class Sink(Protocol):
    """Stores a batch durably (raw log), then evaluates it; returns after the commit."""

    def __call__(self, batch: Sequence[Inbound]) -> None: ...


def telemetry_topic(device_id: str, fmt: str = "json") -> str:
    return f"{TOPIC_PREFIX}/{device_id}/{fmt}"


def parse_topic(topic: str) -> tuple[str, RecordKind] | None:
    """``(device_id, kind)`` of a device topic, or None for anything else."""
    parts = topic.split("/")
    prefix = TOPIC_PREFIX.split("/")
    if len(parts) != len(prefix) + 2 or parts[: len(prefix)] != prefix:
        return None
    kind = TOPIC_FORMATS.get(parts[-1])
    if kind is None or not parts[-2]:
        return None
    return parts[-2], kind
