"""A transit movement under monitoring: MRN, container, seals, offices, corridor, limit."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from smartcustoms.transit.errors import TripInvalid
from smartcustoms.transit.events import explain_validation


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


def container_check_digit(owner_serial: str) -> int:
    """ISO 6346 check digit of the first ten characters (owner code, category, serial)."""
    total = 0
    for i, ch in enumerate(owner_serial):
        if ch.isdigit():
            value = int(ch)
        else:
            # Letters count from A=10 and skip multiples of 11 (11, 22, 33).
            value = 10 + ord(ch) - ord("A")
            value += (value - 1) // 10
        total += value * (1 << i)
    return total % 11 % 10


class Trip(BaseModel):
    """One transit movement; ``reference`` is the MRN of the transit declaration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: str = Field(
        pattern=r"^\d{2}[A-Z]{2}[A-Z0-9]{14}$",
        description="Movement reference number (MRN), 18 characters.",
        examples=["25KE0000000000042X"],
    )
    declaration_ref: str = Field(min_length=1, max_length=64)
    container_id: str = Field(pattern=r"^[A-Z]{3}[UJZ]\d{7}$", examples=["MSCU1234565"])
    seal_ids: tuple[str, ...] = Field(min_length=1)
    device_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{2,63}$")
    office_of_departure: str = Field(pattern=r"^[A-Z]{2}[A-Z0-9]{6}$")
    office_of_destination: str = Field(pattern=r"^[A-Z]{2}[A-Z0-9]{6}$")
    corridor_id: str
    departure_at: AwareDatetime
    time_limit: AwareDatetime = Field(description="Customs time limit for arrival.")
    risk: RiskLevel = RiskLevel.MEDIUM
    temperature_range_c: tuple[float, float] | None = Field(
        None, description="Cargo's allowed temperature band, when it has one."
    )

    @model_validator(mode="after")
    def _coherent(self) -> Trip:
        digit = container_check_digit(self.container_id[:10])
        if int(self.container_id[10]) != digit:
            raise ValueError(
                f"container_id {self.container_id} fails the ISO 6346 check digit "
                f"(expected {digit})"
            )
        if self.time_limit <= self.departure_at:
            raise ValueError("time_limit must be after departure_at")
        if self.temperature_range_c and self.temperature_range_c[0] >= self.temperature_range_c[1]:
            raise ValueError("temperature_range_c must be (low, high) with low < high")
        return self


def load_trip(data: object) -> Trip:
    try:
        return Trip.model_validate(data)
    except ValidationError as exc:
        errors = explain_validation(exc)
        raise TripInvalid("trip: " + "; ".join(str(e) for e in errors), errors=errors) from exc
