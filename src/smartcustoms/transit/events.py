"""The canonical telemetry event and the officer command, both immutable.

Every decoder (JSON, EPCIS 2.0) ends in a ``TelemetryEvent``; the rules only ever see
this shape. Validation is strict (no "1" for 1, no naive datetimes, no NaN) and a failure
becomes ``EventInvalid`` whose ``errors`` name field, value and what is accepted.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from smartcustoms.errors import FieldError
from smartcustoms.transit.errors import EventInvalid


class SealStatus(StrEnum):
    SEALED = "sealed"
    OPENED = "opened"
    BROKEN = "broken"


class TamperFlag(StrEnum):
    CASE_OPENED = "case_opened"
    WIRE_CUT = "wire_cut"
    MAGNETIC_INTERFERENCE = "magnetic_interference"
    SHOCK = "shock"


class ClockFlag(StrEnum):
    """Corrections applied by ``clock.check_clock``; the original value is kept beside."""

    DEVICE_TIME_GPS_WEEK_ROLLOVER = "device_time_gps_week_rollover"
    FIX_TIME_GPS_WEEK_ROLLOVER = "fix_time_gps_week_rollover"


_STRICT = ConfigDict(frozen=True, strict=True, extra="forbid", allow_inf_nan=False)


class TelemetryEvent(BaseModel):
    """One report of an e-seal / tracker, times as the device stated them."""

    model_config = _STRICT

    device_id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{2,63}$",
        description="Tracker / e-seal identifier as registered.",
        examples=["ESEAL-0042"],
    )
    device_seq: int | None = Field(
        None, ge=0, le=2**63 - 1, description="Device's own message counter, if it has one."
    )
    device_time: AwareDatetime = Field(description="When the device produced the report.")
    fix_time: AwareDatetime | None = Field(None, description="Time of the GNSS fix.")
    lat: float | None = Field(None, ge=-90, le=90, description="WGS 84 latitude, degrees.")
    lon: float | None = Field(None, ge=-180, le=180, description="WGS 84 longitude, degrees.")
    speed_kmh: float | None = Field(None, ge=0, le=300)
    seal_status: SealStatus | None = None
    temperature_c: float | None = Field(None, ge=-80, le=120)
    battery_pct: float | None = Field(None, ge=0, le=100)
    tamper_flags: tuple[TamperFlag, ...] = ()
    clock_flags: tuple[ClockFlag, ...] = Field(
        (), description="Set by the clock check only; a device may not send them."
    )
    original_device_time: AwareDatetime | None = None
    original_fix_time: AwareDatetime | None = None

    @model_validator(mode="after")
    def _position_complete(self) -> TelemetryEvent:
        # Half a position is a decoder bug or a corrupt frame; neither may reach the rules.
        if (self.lat is None) != (self.lon is None):
            missing = "lon" if self.lon is None else "lat"
            raise ValueError(f"{missing} must be given together with the other coordinate")
        return self

    @property
    def has_fix(self) -> bool:
        return self.lat is not None

    def content_hash(self) -> str:
        """SHA-256 of the device's own content; clock corrections do not change it."""
        body = self.model_dump(
            exclude={"clock_flags", "original_device_time", "original_fix_time"},
        )
        if self.original_device_time is not None:
            body["device_time"] = self.original_device_time
        if self.original_fix_time is not None:
            body["fix_time"] = self.original_fix_time
        return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


class CommandKind(StrEnum):
    ASSIGN = "assign"
    ARM = "arm"
    AUTHORISE_OPENING = "authorise_opening"
    RESEAL = "reseal"
    CONFIRM_ARRIVAL = "confirm_arrival"
    DISARM = "disarm"


class SealCommand(BaseModel):
    """An officer's instruction about a trip's seal, placed in time like an event."""

    model_config = _STRICT

    command_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{2,63}$")
    kind: CommandKind
    officer_id: str = Field(min_length=1, max_length=64)
    seal_id: str = Field(min_length=1, max_length=64)
    issued_at: AwareDatetime
    office: str | None = Field(None, description="Customs office where it was given.")


def explain_validation(exc: ValidationError, *, prefix: str = "") -> list[FieldError]:
    """pydantic's errors as ours: field path, what is accepted, the value received."""
    out: list[FieldError] = []
    for err in exc.errors(include_url=False):
        loc = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in err["loc"]
        ).lstrip(".")
        field = f"{prefix}.{loc}".strip(".") if prefix else (loc or "(event)")
        value: Any = err.get("input")
        if isinstance(value, dict | list):
            value = f"<{type(value).__name__}>"
        elif isinstance(value, str | bytes) and len(value) > 80:
            value = value[:77] + ("..." if isinstance(value, str) else b"...")
        out.append(FieldError(field or "(event)", str(err["msg"]), value))
    return out


def invalid_from(exc: ValidationError, *, what: str, prefix: str = "") -> EventInvalid:
    errors = explain_validation(exc, prefix=prefix)
    detail = f"{what}: " + "; ".join(str(e) for e in errors[:5])
    if len(errors) > 5:
        detail += f"; and {len(errors) - 5} more"
    return EventInvalid(detail, errors=errors)


def build_event(**fields: Any) -> TelemetryEvent:
    """Construct from Python values, turning validation errors into ``EventInvalid``."""
    try:
        return TelemetryEvent(**fields)
    except ValidationError as exc:
        raise invalid_from(exc, what="telemetry event") from exc


def utc_iso(value: datetime) -> str:
    return value.isoformat()
