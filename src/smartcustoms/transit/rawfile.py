"""The raw-log file format: one received payload per line (JSON Lines), for offline replay.

A line is either an *envelope* (what the service exports from a trip's raw log)::

    {"received_at": "2025-03-03T06:00:12.5+00:00", "kind": "telemetry/json",
     "payload": {...} or "...", "trip": "25KE0000000000042X"}

``kind`` is a ``RecordKind`` value; ``payload`` is the JSON document itself, or a string
holding the bytes as UTF-8 when they are not a compact JSON document (tick payloads,
payloads as a device sent them with whitespace), so a write and read give the same bytes
back; ``payload`` may be left out for a tick. ``trip`` (optional) names the trip the
record belongs to: a tick without it is for every trip.

Or a *bare* canonical telemetry event (or batch), or an EPCIS 2.0 document / ObjectEvent:
received when the device says it produced it (the newest event's device time).

Reading never raises on a line's content: each bad line becomes a ``LineError`` with its
number, the field, the value and what is accepted, and the reader goes on. Pure: no I/O
beyond the iterables it is given.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from smartcustoms.transit.decode import decode_epcis, decode_json
from smartcustoms.transit.engine import RawRecord, RecordKind
from smartcustoms.transit.errors import EventInvalid

ENVELOPE_KEYS = frozenset({"received_at", "kind", "payload", "payload_base64", "trip"})
_KINDS = ", ".join(k.value for k in RecordKind)
_BOMS = ("\ufeff", b"\xef\xbb\xbf")


@dataclass(frozen=True, slots=True)
class FileRecord(RawRecord):
    """A raw record read from a file, with the trip its envelope names (if any)."""

    trip: str | None = None


@dataclass(frozen=True, slots=True)
class LineError:
    """A line that could not be read: where, which field, what was there, what is accepted."""

    line_no: int
    detail: str
    field: str | None = None
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line_no, "field": self.field, "value": _shown(self.value),
                "detail": self.detail}


def _shown(value: Any) -> Any:
    """A value fit for a report: JSON scalars as they are, anything else as short text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def error_from(line_no: int, exc: EventInvalid) -> LineError:
    first = exc.errors[0] if exc.errors else None
    return LineError(line_no, exc.detail, first.field if first else exc.field,
                     first.value if first else exc.value)


# --- reading ------------------------------------------------------------------------


def read_raw_records(
    lines: Iterable[str | bytes],
) -> Iterator[tuple[int, FileRecord | LineError]]:
    """``(line number, record or error)`` per non-blank line, 1-based, lazily."""
    for line_no, line in enumerate(lines, 1):
        if line_no == 1:
            line = _strip_bom(line)
        if not line.strip():
            continue
        try:
            yield line_no, _read_line(line_no, line)
        except EventInvalid as exc:
            yield line_no, error_from(line_no, exc)


def _strip_bom(line: str | bytes) -> str | bytes:
    if isinstance(line, str):
        return line.removeprefix(_BOMS[0])
    return line.removeprefix(_BOMS[1])


def _read_line(line_no: int, line: str | bytes) -> FileRecord:
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise EventInvalid(f"not JSON: {exc}", field="(line)", value=_shown(line)) from None
    if isinstance(data, dict) and not ENVELOPE_KEYS.isdisjoint(data):
        return _envelope(line_no, data)
    return _bare(line_no, line, data)


def _envelope(line_no: int, data: dict[str, Any]) -> FileRecord:
    unknown = sorted(set(data) - ENVELOPE_KEYS)
    if unknown:
        raise EventInvalid(f"{unknown[0]}: not an envelope key; expected "
                           f"{', '.join(sorted(ENVELOPE_KEYS))}", field=unknown[0],
                           value=data[unknown[0]])
    received_at = _received_at(data.get("received_at"))
    kind = _kind(data.get("kind"))
    trip = data.get("trip")
    if trip is not None and not isinstance(trip, str):
        raise EventInvalid("trip: must be the trip's MRN as a string", field="trip", value=trip)
    payload = _payload(data, kind, received_at)
    return FileRecord(line_no - 1, received_at, kind, payload, trip)


def _received_at(value: object) -> datetime:
    field = "received_at"
    if not isinstance(value, str):
        raise EventInvalid(f"{field}: must be an RFC 3339 date-time string with an offset",
                           field=field, value=value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise EventInvalid(f"{field}: must be an RFC 3339 date-time with an offset",
                           field=field, value=value) from None
    if parsed.tzinfo is None:
        raise EventInvalid(f"{field}: must carry a time-zone offset", field=field, value=value)
    return parsed


def _kind(value: object) -> RecordKind:
    try:
        return RecordKind(value)
    except ValueError:
        raise EventInvalid(f"kind: must be one of {_KINDS}", field="kind", value=value) from None


def _payload(data: dict[str, Any], kind: RecordKind, received_at: datetime) -> bytes:
    if "payload_base64" in data:
        if "payload" in data:
            raise EventInvalid("payload_base64: give payload or payload_base64, not both",
                               field="payload_base64", value=data["payload_base64"])
        return _base64(data["payload_base64"])
    if "payload" not in data:
        if kind is RecordKind.TICK:
            return received_at.isoformat().encode()
        raise EventInvalid("payload: missing; expected the payload as a JSON document or string",
                           field="payload", value=None)
    payload = data["payload"]
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogatepass")
    if isinstance(payload, dict | list):
        return orjson.dumps(payload)
    raise EventInvalid("payload: must be a JSON object, array or string", field="payload",
                       value=payload)


def _base64(value: object) -> bytes:
    try:
        if not isinstance(value, str):
            raise ValueError
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise EventInvalid("payload_base64: must be a base64 string", field="payload_base64",
                           value=value) from None


def _bare(line_no: int, line: str | bytes, data: object) -> FileRecord:
    """A bare event or EPCIS document: received at its newest device time."""
    is_epcis = isinstance(data, dict) and (
        "@context" in data or data.get("type") in ("EPCISDocument", "ObjectEvent"))
    if not (is_epcis or isinstance(data, dict | list)):
        raise EventInvalid("(line): must be an envelope object, a telemetry event, a batch of "
                           "them or an EPCIS document", field="(line)", value=data)
    payload = line.strip().encode("utf-8", "surrogatepass") if isinstance(line, str) \
        else line.strip()
    kind = RecordKind.TELEMETRY_EPCIS if is_epcis else RecordKind.TELEMETRY_JSON
    events = (decode_epcis if is_epcis else decode_json)(payload)
    if not events:
        raise EventInvalid("(line): an empty batch or document carries no event",
                           field="(line)", value=data)
    received_at = max(e.device_time for e in events)
    return FileRecord(line_no - 1, received_at, kind, payload)


# --- writing ------------------------------------------------------------------------


def write_raw_records(
    records: Iterable[RawRecord], *, trip: str | None = None
) -> Iterator[str]:
    """Envelope lines (with their newline) for records, e.g. a trip's raw log; ``trip``
    names the trip on every line unless a ``FileRecord`` names its own."""
    for record in records:
        yield envelope_line(record, trip=getattr(record, "trip", None) or trip) + "\n"


def envelope_line(record: RawRecord, *, trip: str | None = None) -> str:
    envelope: dict[str, Any] = {"received_at": record.received_at.isoformat(),
                                "kind": record.kind.value}
    envelope.update(_payload_field(record.payload))
    if trip is not None:
        envelope["trip"] = trip
    return orjson.dumps(envelope).decode()


def _payload_field(payload: bytes) -> dict[str, Any]:
    """The payload as JSON when that gives the same bytes back, else as text or base64."""
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError:
        doc = None
    if isinstance(doc, dict | list) and orjson.dumps(doc) == payload:
        return {"payload": doc}
    try:
        return {"payload": payload.decode("utf-8")}
    except UnicodeDecodeError:
        return {"payload_base64": base64.b64encode(payload).decode()}
